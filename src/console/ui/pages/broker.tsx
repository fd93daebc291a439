import { useState } from "preact/hooks";
import { api } from "../api.js";
import { EmptyRow, Field, Loading, PageHeader } from "../components.js";
import { useApi } from "../state.js";

export function BrokerPage() {
  const cluster = useApi(() => api.cluster(), "broker-cluster");
  const brokerIds = cluster.data?.brokers.map((b) => b.nodeId) ?? [];
  const [chosen, setChosen] = useState<number | null>(null);
  const nodeId = chosen ?? cluster.data?.controller ?? brokerIds[0];
  return (
    <section>
      <PageHeader title="Broker">
        {brokerIds.length > 1 && (
          <Field label="Broker">
            <select value={nodeId} onChange={(e) => setChosen(Number(e.currentTarget.value))}>
              {brokerIds.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </Field>
        )}
      </PageHeader>
      {nodeId === undefined ? (
        cluster.loading ? (
          <Loading what="brokers" />
        ) : (
          <div class="state">No broker answered.</div>
        )
      ) : (
        <BrokerConfigs nodeId={nodeId} key={nodeId} />
      )}
    </section>
  );
}

function BrokerConfigs({ nodeId }: { nodeId: number }) {
  const configs = useApi(() => api.brokerConfigs(nodeId), `broker-${nodeId}`);
  const [filter, setFilter] = useState("");
  const f = filter.trim().toLowerCase();
  const shown = (configs.data ?? []).filter(
    (c) => !f || c.name.toLowerCase().includes(f) || (c.value ?? "").toLowerCase().includes(f),
  );
  return (
    <>
      <div class="toolbar">
        <h2>Configs of broker {nodeId}</h2>
        <input
          type="search"
          class="filter"
          placeholder="Filter configs"
          aria-label="Filter configs"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
        <span class="muted">{configs.data ? `${shown.length} of ${configs.data.length}` : ""}</span>
      </div>
      {configs.loading ? (
        <Loading what="configs" />
      ) : (
        <table class="table" aria-label="Broker configs">
          <thead>
            <tr>
              <th>Name</th>
              <th>Value</th>
              <th>Source</th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && <EmptyRow columns={3}>No configs match.</EmptyRow>}
            {shown.map((c) => (
              <tr key={c.name}>
                <td class="mono">{c.name}</td>
                <td class="mono wrap">
                  {c.sensitive ? "••••••" : (c.value ?? <span class="muted">null</span>)}
                </td>
                <td>
                  <span class={c.source === "DEFAULT_CONFIG" ? "muted" : ""}>{c.source}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
