import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Bytes, type Message, type MessageQuery, type TopicDetail } from "../api.js";
import { EmptyRow, Field } from "../components.js";
import {
  asHex,
  asPrettyJson,
  asText,
  download,
  formatNumber,
  formatTime,
  preview,
  toCsvExport,
  toJsonExport,
} from "../format.js";
import { reportError } from "../state.js";

type FromKind = "end" | "beginning" | "offset" | "timestamp";
/** Live tail keeps at most this many records on screen. */
const MAX_SHOWN = 2000;

const messageKey = (m: Message) => `${m.partition}:${m.offset}`;

/** Newest first: the order in which live records are prepended. */
function newestFirst(a: Message, b: Message): number {
  return b.timestamp - a.timestamp || b.partition - a.partition || b.offset - a.offset;
}

export function MessageBrowser({ topic }: { topic: TopicDetail }) {
  const [partition, setPartition] = useState("all");
  const [fromKind, setFromKind] = useState<FromKind>("end");
  const [fromOffset, setFromOffset] = useState("0");
  const [fromTime, setFromTime] = useState("");
  const [limit, setLimit] = useState("100");
  const [keyFilter, setKeyFilter] = useState("");
  const [valueFilter, setValueFilter] = useState("");
  const [headerFilter, setHeaderFilter] = useState("");
  const [messages, setMessages] = useState<Message[] | null>(null);
  const [stats, setStats] = useState<{ scanned: number; truncated: boolean } | null>(null);
  const [searching, setSearching] = useState(false);
  const [live, setLive] = useState(false);
  /** The tail has fixed its start offsets (its `ready` event): records produced from now on show. */
  const [liveReady, setLiveReady] = useState(false);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const searchSeq = useRef(0);

  const filters = (): Omit<MessageQuery, "from" | "limit"> => ({
    partition,
    key: keyFilter.trim() || undefined,
    value: valueFilter.trim() || undefined,
    header: headerFilter.trim() || undefined,
  });

  const search = async () => {
    let from: string = fromKind;
    if (fromKind === "offset") from = `offset:${Number(fromOffset) || 0}`;
    if (fromKind === "timestamp") {
      const ms = new Date(fromTime).getTime();
      if (!Number.isFinite(ms)) {
        reportError(new Error("Pick a date and time to read from"));
        return;
      }
      from = `timestamp:${ms}`;
    }
    const seq = ++searchSeq.current;
    setSearching(true);
    try {
      const page = await api.messages(topic.name, {
        ...filters(),
        from,
        limit: Math.min(1000, Math.max(1, Number(limit) || 100)),
      });
      if (seq !== searchSeq.current) return;
      setMessages([...page.messages].sort(newestFirst));
      setStats({ scanned: page.scanned, truncated: page.truncated });
      setExpanded(new Set());
    } catch (e) {
      reportError(e);
    } finally {
      if (seq === searchSeq.current) setSearching(false);
    }
  };

  // The first look at a topic shows its latest records.
  useEffect(() => {
    void search();
  }, [topic.name]);

  // Live tail: Server-Sent Events from the end of the log, with the filters as they were when it started.
  useEffect(() => {
    setLiveReady(false);
    if (!live) return;
    const source = new EventSource(api.tailUrl(topic.name, filters()));
    source.addEventListener("ready", () => setLiveReady(true));
    source.addEventListener("message", (e) => {
      let m: Message;
      try {
        m = JSON.parse((e as MessageEvent<string>).data);
      } catch {
        return;
      }
      setMessages((old) => {
        const list = old ?? [];
        if (list.some((x) => x.partition === m.partition && x.offset === m.offset)) return list;
        return [m, ...list].slice(0, MAX_SHOWN);
      });
    });
    // Both the server's own `error` event (with its JSON reason) and a lost connection land here.
    source.addEventListener("error", (e) => {
      let reason = "lost its connection to the console server";
      const data = (e as MessageEvent<string>).data;
      if (typeof data === "string" && data) {
        try {
          reason = JSON.parse(data).error ?? data;
        } catch {
          reason = data;
        }
      }
      // EventSource would retry forever; a visible error and a stopped toggle are clearer.
      reportError(new Error(`Live tail of ${topic.name}: ${reason}`));
      source.close();
      setLive(false);
    });
    return () => source.close();
  }, [live, topic.name]);

  const toggle = (m: Message) =>
    setExpanded((old) => {
      const next = new Set(old);
      const k = messageKey(m);
      if (!next.delete(k)) next.add(k);
      return next;
    });

  const shown = messages ?? [];
  const stamp = () => new Date().toISOString().replace(/[:.]/g, "-");
  return (
    <div class="browser">
      <form
        class="filters"
        aria-label="Message filters"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <Field label="Partition">
          <select value={partition} onChange={(e) => setPartition(e.currentTarget.value)}>
            <option value="all">All</option>
            {topic.partitions.map((p) => (
              <option key={p.partition} value={String(p.partition)}>
                {p.partition}
              </option>
            ))}
          </select>
        </Field>
        <Field label="From">
          <select value={fromKind} onChange={(e) => setFromKind(e.currentTarget.value as FromKind)}>
            <option value="end">Latest (end)</option>
            <option value="beginning">Beginning</option>
            <option value="offset">Offset</option>
            <option value="timestamp">Timestamp</option>
          </select>
        </Field>
        {fromKind === "offset" && (
          <Field label="Offset">
            <input
              type="number"
              min={0}
              value={fromOffset}
              onInput={(e) => setFromOffset(e.currentTarget.value)}
            />
          </Field>
        )}
        {fromKind === "timestamp" && (
          <Field label="Timestamp">
            <input
              type="datetime-local"
              step="1"
              value={fromTime}
              onInput={(e) => setFromTime(e.currentTarget.value)}
            />
          </Field>
        )}
        <Field label="Limit">
          <input
            type="number"
            min={1}
            max={1000}
            class="narrow"
            value={limit}
            onInput={(e) => setLimit(e.currentTarget.value)}
          />
        </Field>
        <Field label="Key contains">
          <input type="search" value={keyFilter} onInput={(e) => setKeyFilter(e.currentTarget.value)} />
        </Field>
        <Field label="Value contains">
          <input type="search" value={valueFilter} onInput={(e) => setValueFilter(e.currentTarget.value)} />
        </Field>
        <Field label="Header contains">
          <input type="search" value={headerFilter} onInput={(e) => setHeaderFilter(e.currentTarget.value)} />
        </Field>
        <div class="filter-actions">
          <button type="submit" class="primary" disabled={searching}>
            {searching ? "Searching…" : "Search"}
          </button>
          <label class={live ? "check live on" : "check live"}>
            <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
            Live
            {live && <span class="pulse" aria-hidden="true" />}
          </label>
        </div>
      </form>
      <div class="toolbar">
        <span class="muted" data-testid="message-count" role="status">
          {messages === null
            ? searching
              ? "Searching…"
              : ""
            : `${formatNumber(shown.length)} ${shown.length === 1 ? "record" : "records"}${stats ? `, ${formatNumber(stats.scanned)} scanned` : ""}${
                stats?.truncated ? " (scan limit reached: narrow the search)" : ""
              }${live ? (liveReady ? " · live" : " · connecting…") : ""}`}
        </span>
        <span class="spacer" />
        <button
          type="button"
          disabled={shown.length === 0}
          onClick={() => download(`${topic.name}-${stamp()}.json`, toJsonExport(shown), "application/json")}
        >
          Export JSON
        </button>
        <button
          type="button"
          disabled={shown.length === 0}
          onClick={() => download(`${topic.name}-${stamp()}.csv`, toCsvExport(shown), "text/csv")}
        >
          Export CSV
        </button>
      </div>
      <table class="table messages" aria-label="Messages">
        <thead>
          <tr>
            <th class="num">Partition</th>
            <th class="num">Offset</th>
            <th>Timestamp</th>
            <th>Key</th>
            <th>Value</th>
            <th>Headers</th>
          </tr>
        </thead>
        <tbody>
          {messages !== null && shown.length === 0 && (
            <EmptyRow columns={6}>No records match{live ? " yet; waiting for new ones" : ""}.</EmptyRow>
          )}
          {messages === null && searching && <EmptyRow columns={6}>Loading records…</EmptyRow>}
          {shown.map((m) => {
            const k = messageKey(m);
            const open = expanded.has(k);
            return [
              <tr
                key={k}
                class={open ? "record open" : "record"}
                data-testid="message-row"
                tabIndex={0}
                aria-expanded={open}
                onClick={() => toggle(m)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    toggle(m);
                  }
                }}
              >
                <td class="num">{m.partition}</td>
                <td class="num">{m.offset}</td>
                <td class="nowrap">{formatTime(m.timestamp)}</td>
                <td class="mono cell-key">
                  {m.key === null ? <span class="muted">null</span> : preview(m.key, 40)}
                </td>
                <td class="mono cell-value">
                  {m.value === null ? <span class="muted">null</span> : preview(m.value)}
                </td>
                <td class="mono cell-headers">
                  {m.headers.map((h, i) => (
                    <span class="chip" key={i}>
                      {h.key}={preview(h.value, 24)}
                    </span>
                  ))}
                </td>
              </tr>,
              open && (
                <tr key={`${k}-detail`} class="record-detail">
                  <td colSpan={6}>
                    <RecordDetail m={m} />
                  </td>
                </tr>
              ),
            ];
          })}
        </tbody>
      </table>
    </div>
  );
}

type View = "text" | "json" | "hex";

function BytesView({ label, b }: { label: string; b: Bytes }) {
  const json = asPrettyJson(b);
  const [view, setView] = useState<View>(json !== null ? "json" : "text");
  const body = view === "hex" ? asHex(b) : view === "json" && json !== null ? json : asText(b);
  return (
    <div class="bytes-view">
      <div class="bytes-head">
        <b>{label}</b>
        {b !== null && "base64" in b && <span class="badge warn">not UTF-8</span>}
        <fieldset class="segmented" aria-label={`${label} format`}>
          {(["text", "json", "hex"] as View[]).map((v) => (
            <button
              type="button"
              key={v}
              class={view === v ? "active" : ""}
              aria-pressed={view === v}
              disabled={v === "json" && json === null}
              onClick={() => setView(v)}
            >
              {v === "json" ? "JSON" : v === "hex" ? "Hex" : "Text"}
            </button>
          ))}
        </fieldset>
      </div>
      <pre data-testid={`${label.toLowerCase()}-${view}`}>{body}</pre>
    </div>
  );
}

function RecordDetail({ m }: { m: Message }) {
  return (
    <div class="detail" data-testid="message-detail">
      <div class="detail-meta">
        <span>
          Partition <b>{m.partition}</b>
        </span>
        <span>
          Offset <b>{m.offset}</b>
        </span>
        <span>
          Timestamp <b>{formatTime(m.timestamp)}</b> <span class="muted">({m.timestamp})</span>
        </span>
      </div>
      <div class="detail-grid">
        <BytesView label="Key" b={m.key} />
        <div class="bytes-view">
          <div class="bytes-head">
            <b>Headers</b>
          </div>
          {m.headers.length === 0 ? (
            <div class="muted">No headers</div>
          ) : (
            <table class="table compact" aria-label="Headers">
              <tbody>
                {m.headers.map((h, i) => (
                  <tr key={i}>
                    <td class="mono">{h.key}</td>
                    <td class="mono wrap">{asText(h.value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
      <BytesView label="Value" b={m.value} />
    </div>
  );
}
