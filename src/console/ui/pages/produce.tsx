import { useState } from "preact/hooks";
import { api, type TopicDetail } from "../api.js";
import { Field } from "../components.js";
import { useAction } from "../state.js";

export function ProduceForm({ topic, onProduced }: { topic: TopicDetail; onProduced: () => Promise<void> }) {
  const [key, setKey] = useState("");
  const [nullKey, setNullKey] = useState(false);
  const [value, setValue] = useState("");
  const [headers, setHeaders] = useState<{ key: string; value: string }[]>([]);
  const [partition, setPartition] = useState("");
  const [busy, run] = useAction();
  const [result, setResult] = useState<{ partition: number; offset: number } | null>(null);

  const submit = (e: Event) => {
    e.preventDefault();
    setResult(null);
    void run(async () => {
      const hs = headers.filter((h) => h.key.trim() !== "");
      const r = await api.produce(topic.name, {
        key: nullKey || key === "" ? null : key,
        value,
        ...(hs.length ? { headers: hs } : {}),
        ...(partition === "" ? {} : { partition: Number(partition) }),
      });
      setResult(r);
      void onProduced();
    });
  };

  const setHeader = (i: number, field: "key" | "value", v: string) =>
    setHeaders((hs) => hs.map((h, j) => (j === i ? { ...h, [field]: v } : h)));

  return (
    <form class="form produce" aria-label="Produce a message" onSubmit={submit}>
      <Field label="Key">
        <input
          value={key}
          disabled={nullKey}
          placeholder="empty: null key"
          onInput={(e) => setKey(e.currentTarget.value)}
        />
      </Field>
      <Field label="Partition">
        <select value={partition} onChange={(e) => setPartition(e.currentTarget.value)}>
          <option value="">Any (partitioner)</option>
          {topic.partitions.map((p) => (
            <option key={p.partition} value={String(p.partition)}>
              {p.partition}
            </option>
          ))}
        </select>
      </Field>
      <label class="check">
        <input type="checkbox" checked={nullKey} onChange={(e) => setNullKey(e.currentTarget.checked)} />
        Null key
      </label>
      <Field label="Value" wide>
        <textarea
          rows={8}
          value={value}
          spellcheck={false}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
      </Field>
      <fieldset class="wide">
        <legend>Headers</legend>
        {headers.map((h, i) => (
          <div class="row" key={i}>
            <input
              aria-label={`Header ${i + 1} key`}
              placeholder="key"
              value={h.key}
              onInput={(e) => setHeader(i, "key", e.currentTarget.value)}
            />
            <input
              aria-label={`Header ${i + 1} value`}
              placeholder="value"
              value={h.value}
              onInput={(e) => setHeader(i, "value", e.currentTarget.value)}
            />
            <button
              type="button"
              class="icon-button"
              aria-label={`Remove header ${i + 1}`}
              onClick={() => setHeaders((hs) => hs.filter((_, j) => j !== i))}
            >
              ×
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setHeaders((hs) => [...hs, { key: "", value: "" }])}>
          Add header
        </button>
      </fieldset>
      <div class="form-actions wide">
        {result && (
          <span class="result" role="status" data-testid="produce-result">
            Produced to partition <b>{result.partition}</b> at offset <b>{result.offset}</b>
          </span>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Producing…" : "Produce"}
        </button>
      </div>
    </form>
  );
}
