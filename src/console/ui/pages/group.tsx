import { useState } from "preact/hooks";
import { api, type GroupDetail, type ResetPlan, type ResetTo } from "../api.js";
import {
  Dialog,
  EmptyRow,
  Field,
  Loading,
  PageHeader,
  StateBadge,
  StatusBadge,
  StatCard,
} from "../components.js";
import { formatNumber, formatTime } from "../format.js";
import { LagChart } from "../lag-chart.js";
import { href, navigate, useAction, useApi } from "../state.js";

export function GroupPage({ groupId }: { groupId: string }) {
  const group = useApi(() => api.group(groupId), `group-${groupId}`, 2000);
  const history = useApi(() => api.lagHistory(groupId), `lag-${groupId}`, 2000);
  const [deleting, setDeleting] = useState(false);
  const g = group.data;
  return (
    <section>
      <div class="crumbs">
        <a href={href("groups")}>Consumer groups</a> / <span>{groupId}</span>
      </div>
      <PageHeader title={groupId}>
        <button type="button" class="danger" disabled={!g} onClick={() => setDeleting(true)}>
          Delete group
        </button>
      </PageHeader>
      {!g ? (
        group.loading ? (
          <Loading what="the group" />
        ) : (
          <div class="state">Group {groupId} could not be loaded.</div>
        )
      ) : (
        <>
          <div class="stats">
            <StatCard label="State" value={<StateBadge state={g.state} />} />
            <StatCard label="Type" value={g.type} hint={g.protocol ? `assignor ${g.protocol}` : undefined} />
            <StatCard label="Members" value={formatNumber(g.members.length)} />
            <StatCard label="Total lag" value={formatNumber(g.totalLag)} />
            <StatCard
              label="Status"
              value={<StatusBadge status={g.status} />}
              hint="lag trend over the window"
            />
            <StatCard
              label="Coordinator"
              value={<a href={href("broker")}>{g.coordinator.nodeId}</a>}
              hint={`${g.coordinator.host}:${g.coordinator.port}`}
            />
          </div>
          <h2>Total lag over time</h2>
          <div class="card">
            {history.data && history.data.length > 0 ? (
              <>
                <LagChart samples={history.data} />
                <div class="muted small-print">
                  {history.data.length} samples since {formatTime(history.data[0]!.at)}
                </div>
              </>
            ) : (
              <div class="state">{history.loading ? "Loading lag history…" : "No lag samples yet."}</div>
            )}
          </div>
          <Members group={g} />
          <Offsets group={g} />
          <ResetOffsets group={g} onDone={group.reload} />
        </>
      )}
      {deleting && <DeleteGroupDialog groupId={groupId} onClose={() => setDeleting(false)} />}
    </section>
  );
}

function Members({ group }: { group: GroupDetail }) {
  return (
    <>
      <h2>Members</h2>
      <table class="table" aria-label="Members">
        <thead>
          <tr>
            <th>Member</th>
            <th>Client</th>
            <th>Host</th>
            <th>Assignment</th>
          </tr>
        </thead>
        <tbody>
          {group.members.length === 0 && <EmptyRow columns={4}>No active members.</EmptyRow>}
          {group.members.map((m) => (
            <tr key={m.memberId}>
              <td class="mono small">{m.memberId}</td>
              <td>{m.clientId}</td>
              <td>{m.host}</td>
              <td>
                {m.assignment.map((a) => (
                  <span class="chip" key={a.topic}>
                    {a.topic}: {a.partitions.join(", ")}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Offsets({ group }: { group: GroupDetail }) {
  const uncommitted = group.offsets.filter((o) => o.committed === null || o.committed < 0).length;
  return (
    <>
      <h2>Offsets</h2>
      <table class="table" aria-label="Offsets">
        <thead>
          <tr>
            <th>Topic</th>
            <th class="num">Partition</th>
            <th class="num">Committed</th>
            <th class="num">End</th>
            <th class="num">Lag</th>
            <th>Consumer</th>
          </tr>
        </thead>
        <tbody>
          {group.offsets.length === 0 && <EmptyRow columns={6}>No committed offsets.</EmptyRow>}
          {group.offsets.map((o) => (
            <tr key={`${o.topic}:${o.partition}`}>
              <td>
                <a href={href("topics", o.topic)}>{o.topic}</a>
              </td>
              <td class="num">{o.partition}</td>
              <td class="num">{o.committed === null || o.committed < 0 ? "—" : formatNumber(o.committed)}</td>
              <td class="num">{formatNumber(o.logEndOffset)}</td>
              <td class={o.lag !== null && o.lag > 0 ? "num text-warn" : "num"}>{formatNumber(o.lag)}</td>
              <td>{o.clientId ?? <span class="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
        {group.offsets.length > 0 && (
          <tfoot>
            <tr>
              <td colSpan={4}>Total lag</td>
              <td class="num" data-testid="total-lag">
                {formatNumber(group.totalLag)}
              </td>
              <td class="muted">
                {uncommitted > 0 && `+ ${uncommitted} partitions with no committed offset`}
              </td>
            </tr>
          </tfoot>
        )}
      </table>
    </>
  );
}

const RESET_OPTIONS: { id: ResetTo; label: string; value?: string; placeholder?: string }[] = [
  { id: "earliest", label: "Earliest (log start)" },
  { id: "latest", label: "Latest (log end)" },
  { id: "offset", label: "Offset", value: "Offset", placeholder: "e.g. 100" },
  { id: "datetime", label: "Date and time", value: "Date and time" },
  { id: "duration", label: "Duration ago", value: "Duration", placeholder: "e.g. 1h, 30m, PT15M" },
  { id: "shift-by", label: "Shift by", value: "Shift by", placeholder: "e.g. -100" },
];

function ResetOffsets({ group, onDone }: { group: GroupDetail; onDone: () => Promise<void> }) {
  const allTopics = [...new Set(group.offsets.map((o) => o.topic))].sort();
  const [to, setTo] = useState<ResetTo>("earliest");
  const [value, setValue] = useState("");
  const [unchecked, setUnchecked] = useState<Set<string>>(new Set());
  const [plan, setPlan] = useState<ResetPlan | null>(null);
  const [busy, act] = useAction();
  const option = RESET_OPTIONS.find((o) => o.id === to)!;
  const topics = allTopics.filter((t) => !unchecked.has(t));

  const body = (execute: boolean) => {
    let v: string | number | undefined;
    if (to === "offset" || to === "shift-by") v = Number(value);
    else if (to === "datetime") v = new Date(value).getTime();
    else if (to === "duration") v = value.trim();
    return { topics, to, ...(v === undefined ? {} : { value: v }), execute };
  };
  const run = (execute: boolean) =>
    act(async () => {
      const b = body(execute);
      if (
        b.value !== undefined &&
        (typeof b.value === "number" ? !Number.isFinite(b.value) : b.value === "")
      ) {
        throw new Error(`Give a value for "${option.label}"`);
      }
      const result = await api.resetOffsets(group.groupId, b);
      setPlan(result);
      if (execute) await onDone();
    });
  const changed = (form: () => void) => {
    form();
    setPlan(null);
  };

  return (
    <>
      <h2>Reset offsets</h2>
      <div class="card">
        {group.state !== "Empty" && (
          <p class="note">
            Offsets can be reset only while the group is <b>Empty</b> (stop its consumers first); it is{" "}
            <b>{group.state}</b>.
          </p>
        )}
        <form
          class="form reset"
          aria-label="Reset offsets"
          onSubmit={(e) => {
            e.preventDefault();
            void run(false);
          }}
        >
          <Field label="Reset to">
            <select value={to} onChange={(e) => changed(() => setTo(e.currentTarget.value as ResetTo))}>
              {RESET_OPTIONS.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.label}
                </option>
              ))}
            </select>
          </Field>
          {option.value && (
            <Field label={option.value}>
              {to === "datetime" ? (
                <input
                  type="datetime-local"
                  step="1"
                  value={value}
                  onInput={(e) => changed(() => setValue(e.currentTarget.value))}
                />
              ) : (
                <input
                  inputMode={to === "duration" ? "text" : "numeric"}
                  placeholder={option.placeholder}
                  value={value}
                  onInput={(e) => changed(() => setValue(e.currentTarget.value))}
                />
              )}
            </Field>
          )}
          <fieldset class="wide">
            <legend>Topics</legend>
            {allTopics.length === 0 && <span class="muted">The group has no committed offsets.</span>}
            {allTopics.map((t) => (
              <label class="check" key={t}>
                <input
                  type="checkbox"
                  checked={!unchecked.has(t)}
                  onChange={(e) => {
                    const on = e.currentTarget.checked;
                    changed(() =>
                      setUnchecked((old) => {
                        const next = new Set(old);
                        if (on) next.delete(t);
                        else next.add(t);
                        return next;
                      }),
                    );
                  }}
                />
                {t}
              </label>
            ))}
          </fieldset>
          <div class="form-actions wide">
            <button type="submit" disabled={busy || topics.length === 0}>
              Preview (dry run)
            </button>
          </div>
        </form>
        {plan && (
          <div class="plan" data-testid="reset-plan">
            <table class="table compact" aria-label="Reset plan">
              <thead>
                <tr>
                  <th>Topic</th>
                  <th class="num">Partition</th>
                  <th class="num">Current</th>
                  <th class="num">Target</th>
                  <th class="num">Change</th>
                </tr>
              </thead>
              <tbody>
                {plan.plan.length === 0 && <EmptyRow columns={5}>Nothing to reset.</EmptyRow>}
                {plan.plan.map((p) => (
                  <tr key={`${p.topic}:${p.partition}`}>
                    <td>{p.topic}</td>
                    <td class="num">{p.partition}</td>
                    <td class="num">{p.current === null || p.current < 0 ? "—" : formatNumber(p.current)}</td>
                    <td class="num">{formatNumber(p.target)}</td>
                    <td class="num">
                      {p.current === null || p.current < 0
                        ? "—"
                        : `${p.target - p.current > 0 ? "+" : ""}${p.target - p.current}`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div class="form-actions">
              {plan.executed ? (
                <span class="result" role="status">
                  Offsets reset ({plan.plan.length} partitions).
                </span>
              ) : (
                <>
                  <span class="muted">Dry run: nothing changed yet.</span>
                  <button
                    type="button"
                    class="danger"
                    disabled={busy || plan.plan.length === 0}
                    onClick={() => run(true)}
                  >
                    Execute
                  </button>
                </>
              )}
            </div>
          </div>
        )}
      </div>
    </>
  );
}

function DeleteGroupDialog({ groupId, onClose }: { groupId: string; onClose: () => void }) {
  const [busy, run] = useAction();
  return (
    <Dialog title={`Delete group ${groupId}`} onClose={onClose}>
      <p>
        This deletes the group's committed offsets. Only an <b>Empty</b> group can be deleted.
      </p>
      <div class="form-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={() =>
            run(async () => {
              await api.deleteGroup(groupId);
              onClose();
              navigate("groups");
            })
          }
        >
          Delete
        </button>
      </div>
    </Dialog>
  );
}
