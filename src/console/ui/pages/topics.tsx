import { useState } from "preact/hooks";
import { api } from "../api.js";
import { Dialog, EmptyRow, Field, Loading, PageHeader } from "../components.js";
import { formatBytes, formatNumber } from "../format.js";
import { href, navigate, useAction, useApi } from "../state.js";

export function TopicsPage() {
  const [showInternal, setShowInternal] = useState(false);
  const [filter, setFilter] = useState("");
  const [creating, setCreating] = useState(false);
  const topics = useApi(() => api.topics(showInternal), `topics-${showInternal}`, 10_000);
  const f = filter.trim().toLowerCase();
  const shown = (topics.data ?? []).filter((t) => !f || t.name.toLowerCase().includes(f));
  return (
    <section>
      <PageHeader title="Topics">
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          Create topic
        </button>
      </PageHeader>
      <div class="toolbar">
        <input
          type="search"
          class="filter"
          placeholder="Filter topics by name"
          aria-label="Filter topics"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
        <label class="check">
          <input
            type="checkbox"
            checked={showInternal}
            onChange={(e) => setShowInternal(e.currentTarget.checked)}
          />
          Show internal topics
        </label>
        <span class="muted">{topics.data ? `${shown.length} of ${topics.data.length}` : ""}</span>
      </div>
      {topics.loading ? (
        <Loading what="topics" />
      ) : (
        <table class="table" aria-label="Topics">
          <thead>
            <tr>
              <th>Name</th>
              <th class="num">Partitions</th>
              <th class="num">Replication</th>
              <th class="num">Messages</th>
              <th class="num">Size</th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && (
              <EmptyRow columns={5}>
                {topics.data?.length ? "No topic matches the filter." : "No topics yet. Create one to start."}
              </EmptyRow>
            )}
            {shown.map((t) => (
              <tr key={t.name}>
                <td>
                  <a href={href("topics", t.name)}>{t.name}</a>
                  {t.internal && <span class="badge muted">internal</span>}
                </td>
                <td class="num">{t.partitions}</td>
                <td class="num">{t.replicationFactor}</td>
                <td class="num">{formatNumber(t.messages)}</td>
                <td class="num">{formatBytes(t.sizeBytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && <CreateTopicDialog onClose={() => setCreating(false)} />}
    </section>
  );
}

function CreateTopicDialog({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState("");
  const [partitions, setPartitions] = useState("1");
  const [replication, setReplication] = useState("1");
  const [configs, setConfigs] = useState<{ key: string; value: string }[]>([]);
  const [busy, run] = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const set: Record<string, string> = {};
      for (const c of configs) if (c.key.trim()) set[c.key.trim()] = c.value;
      await api.createTopic({
        name: name.trim(),
        partitions: Number(partitions),
        replicationFactor: Number(replication),
        ...(Object.keys(set).length ? { configs: set } : {}),
      });
      onClose();
      navigate("topics", name.trim());
    });
  };
  return (
    <Dialog title="Create topic" onClose={onClose}>
      <form class="form" onSubmit={submit}>
        <Field label="Topic name" wide>
          <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Partitions">
          <input
            type="number"
            min={1}
            required
            value={partitions}
            onInput={(e) => setPartitions(e.currentTarget.value)}
          />
        </Field>
        <Field label="Replication factor">
          <input
            type="number"
            min={-1}
            required
            value={replication}
            onInput={(e) => setReplication(e.currentTarget.value)}
          />
        </Field>
        <fieldset class="wide">
          <legend>Configs</legend>
          {configs.map((c, i) => (
            <div class="row" key={i}>
              <input
                aria-label={`Config ${i + 1} name`}
                placeholder="cleanup.policy"
                value={c.key}
                onInput={(e) => {
                  const v = e.currentTarget.value;
                  setConfigs((cs) => cs.map((x, j) => (j === i ? { ...x, key: v } : x)));
                }}
              />
              <input
                aria-label={`Config ${i + 1} value`}
                placeholder="compact"
                value={c.value}
                onInput={(e) => {
                  const v = e.currentTarget.value;
                  setConfigs((cs) => cs.map((x, j) => (j === i ? { ...x, value: v } : x)));
                }}
              />
              <button
                type="button"
                class="icon-button"
                aria-label={`Remove config ${i + 1}`}
                onClick={() => setConfigs((cs) => cs.filter((_, j) => j !== i))}
              >
                ×
              </button>
            </div>
          ))}
          <button type="button" onClick={() => setConfigs((cs) => [...cs, { key: "", value: "" }])}>
            Add config
          </button>
        </fieldset>
        <div class="form-actions wide">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || !name.trim()}>
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}
