import { useState } from "preact/hooks";
import { api } from "../api.js";
import { EmptyRow, Loading, PageHeader, StateBadge, StatusBadge } from "../components.js";
import { formatNumber } from "../format.js";
import { href, useApi } from "../state.js";

export function GroupsPage() {
  const groups = useApi(() => api.groups(), "groups", 5000);
  const [filter, setFilter] = useState("");
  const f = filter.trim().toLowerCase();
  const shown = (groups.data ?? []).filter(
    (g) => !f || g.groupId.toLowerCase().includes(f) || g.topics.some((t) => t.toLowerCase().includes(f)),
  );
  return (
    <section>
      <PageHeader title="Consumer groups" />
      <div class="toolbar">
        <input
          type="search"
          class="filter"
          placeholder="Filter by group or topic"
          aria-label="Filter groups"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
        <span class="muted">{groups.data ? `${shown.length} of ${groups.data.length}` : ""}</span>
      </div>
      {groups.loading ? (
        <Loading what="consumer groups" />
      ) : (
        <table class="table" aria-label="Consumer groups">
          <thead>
            <tr>
              <th>Group</th>
              <th>Type</th>
              <th>State</th>
              <th class="num">Members</th>
              <th>Topics</th>
              <th class="num">Total lag</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && (
              <EmptyRow columns={7}>
                {groups.data?.length ? "No group matches the filter." : "No consumer groups yet."}
              </EmptyRow>
            )}
            {shown.map((g) => (
              <tr key={g.groupId}>
                <td>
                  <a href={href("groups", g.groupId)}>{g.groupId}</a>
                </td>
                <td>{g.type}</td>
                <td>
                  <StateBadge state={g.state} />
                </td>
                <td class="num">{g.members}</td>
                <td>
                  {g.topics.map((t) => (
                    <a class="chip" key={t} href={href("topics", t)}>
                      {t}
                    </a>
                  ))}
                </td>
                <td class="num">{formatNumber(g.totalLag)}</td>
                <td>
                  <StatusBadge status={g.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
