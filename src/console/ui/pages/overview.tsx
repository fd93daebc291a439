import { api } from "../api.js";
import { Loading, PageHeader, StatCard } from "../components.js";
import { formatBytes, formatNumber, formatRate } from "../format.js";
import { href, useApi } from "../state.js";

export function OverviewPage() {
  const cluster = useApi(() => api.cluster(), "overview", 5000);
  const c = cluster.data;
  return (
    <section>
      <PageHeader title="Overview" />
      {!c ? (
        cluster.loading ? (
          <Loading what="the cluster" />
        ) : (
          <div class="state">The cluster did not answer.</div>
        )
      ) : (
        <>
          <div class="stats">
            <StatCard label="Brokers" value={formatNumber(c.brokers.length)} />
            <StatCard
              label="Topics"
              value={<a href={href("topics")}>{formatNumber(c.topics)}</a>}
              hint={`${formatNumber(c.internalTopics)} internal`}
            />
            <StatCard label="Partitions" value={formatNumber(c.partitions)} />
            <StatCard
              label="Under-replicated"
              value={<span class={c.underReplicated > 0 ? "text-bad" : "text-ok"}>{c.underReplicated}</span>}
            />
            <StatCard
              label="Offline"
              value={<span class={c.offline > 0 ? "text-bad" : "text-ok"}>{c.offline}</span>}
            />
            <StatCard
              label="Messages/s"
              value={formatRate(c.messagesInPerSec)}
              hint={c.messagesInPerSec === null ? "measuring…" : "in, all topics"}
            />
            <StatCard label="Bytes on disk" value={formatBytes(c.bytesOnDisk)} />
          </div>
          <h2>Brokers</h2>
          <table class="table">
            <thead>
              <tr>
                <th>Node</th>
                <th>Host</th>
                <th class="num">Port</th>
                <th>Rack</th>
                <th>Role</th>
              </tr>
            </thead>
            <tbody>
              {c.brokers.map((b) => (
                <tr key={b.nodeId}>
                  <td>
                    <a href={href("broker")}>{b.nodeId}</a>
                  </td>
                  <td>{b.host}</td>
                  <td class="num">{b.port}</td>
                  <td>{b.rack ?? "—"}</td>
                  <td>{b.nodeId === c.controller ? <span class="badge info">controller</span> : "broker"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
