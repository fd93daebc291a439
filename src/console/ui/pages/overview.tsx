import { api } from "../api.js";
import { EmptyRow, Loading, PageHeader, StatCard, StateBadge, StatusBadge } from "../components.js";
import { formatBytes, formatNumber, formatRate } from "../format.js";
import { href, useApi } from "../state.js";

export function OverviewPage() {
  const cluster = useApi(() => api.cluster(), "overview", 5000);
  const topics = useApi(() => api.topics(false), "overview-topics", 5000);
  const groups = useApi(() => api.groups(), "overview-groups", 5000);
  const c = cluster.data;
  const largest = [...(topics.data ?? [])].sort((a, b) => b.sizeBytes - a.sizeBytes).slice(0, 5);
  const lagging = [...(groups.data ?? [])].sort((a, b) => b.totalLag - a.totalLag).slice(0, 5);
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
            <StatCard
              label="Partitions"
              value={formatNumber(c.partitions)}
              hint={`${formatNumber(c.internalPartitions)} internal`}
            />
            <StatCard
              label="Partitions at risk"
              value={
                <>
                  <span
                    class={c.underReplicated > 0 ? "text-bad" : "text-ok"}
                    data-testid="stat-under-replicated"
                    title="under-replicated partitions"
                  >
                    {c.underReplicated}
                  </span>
                  <span class="muted"> / </span>
                  <span
                    class={c.offline > 0 ? "text-bad" : "text-ok"}
                    data-testid="stat-offline"
                    title="offline partitions"
                  >
                    {c.offline}
                  </span>
                </>
              }
              hint="under-replicated / offline"
            />
            <StatCard
              label="Messages/s"
              value={formatRate(c.messagesInPerSec)}
              hint={c.messagesInPerSec === null ? "measuring…" : "in, all topics"}
            />
            <StatCard label="Bytes on disk" value={formatBytes(c.bytesOnDisk)} />
          </div>
          <div class="columns">
            <div>
              <h2>
                Largest topics <a href={href("topics")}>all</a>
              </h2>
              <table class="table" aria-label="Largest topics">
                <thead>
                  <tr>
                    <th>Topic</th>
                    <th class="num">Partitions</th>
                    <th class="num">Messages</th>
                    <th class="num">Size</th>
                  </tr>
                </thead>
                <tbody>
                  {largest.length === 0 && (
                    <EmptyRow columns={4}>{topics.loading ? "Loading…" : "No topics yet."}</EmptyRow>
                  )}
                  {largest.map((t) => (
                    <tr key={t.name}>
                      <td>
                        <a href={href("topics", t.name)}>{t.name}</a>
                      </td>
                      <td class="num">{t.partitions}</td>
                      <td class="num">{formatNumber(t.messages)}</td>
                      <td class="num">{formatBytes(t.sizeBytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div>
              <h2>
                Consumer groups by lag <a href={href("groups")}>all</a>
              </h2>
              <table class="table" aria-label="Consumer groups by lag">
                <thead>
                  <tr>
                    <th>Group</th>
                    <th>State</th>
                    <th class="num">Lag</th>
                    <th>Status</th>
                  </tr>
                </thead>
                <tbody>
                  {lagging.length === 0 && (
                    <EmptyRow columns={4}>{groups.loading ? "Loading…" : "No consumer groups yet."}</EmptyRow>
                  )}
                  {lagging.map((g) => (
                    <tr key={g.groupId}>
                      <td>
                        <a href={href("groups", g.groupId)}>{g.groupId}</a>
                      </td>
                      <td>
                        <StateBadge state={g.state} />
                      </td>
                      <td class="num">{formatNumber(g.totalLag)}</td>
                      <td>
                        <StatusBadge status={g.status} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
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
