/** The Brook web console: a hash-routed Preact SPA over the console's JSON API. */
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { render } from "preact";
import { api } from "./api.js";
import { ErrorBanner } from "./components.js";
import { BrokerPage } from "./pages/broker.js";
import { GroupPage } from "./pages/group.js";
import { GroupsPage } from "./pages/groups.js";
import { OverviewPage } from "./pages/overview.js";
import { TopicPage } from "./pages/topic.js";
import { TopicsPage } from "./pages/topics.js";
import { useApi, useHashRoute } from "./state.js";
import { applyInitialTheme, useTheme } from "./theme.js";

/** 16x16 line icons as SVG paths (no icon font: nothing is fetched at run time). */
const ICONS = {
  overview: "M2 9h4v5H2zM6 2h4v12H6zM10 6h4v8h-4z",
  topics: "M2 3h12M2 8h12M2 13h12M5 1.5v3M9 6.5v3M12 11.5v3",
  groups:
    "M5.5 7a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5zM1 14c0-2.5 2-4.5 4.5-4.5S10 11.5 10 14M11 7a2 2 0 1 0 0-4M12 9.5c1.7.4 3 2 3 4",
  broker: "M2 2.5h12v4H2zM2 9.5h12v4H2zM4.5 4.5h.01M4.5 11.5h.01",
};

const NAV: { section: string; label: string; icon: keyof typeof ICONS }[] = [
  { section: "", label: "Overview", icon: "overview" },
  { section: "topics", label: "Topics", icon: "topics" },
  { section: "groups", label: "Consumer groups", icon: "groups" },
  { section: "broker", label: "Broker", icon: "broker" },
];

function Icon({ name }: { name: keyof typeof ICONS }) {
  return (
    <svg class="nav-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <path
        d={ICONS[name]}
        fill="none"
        stroke="currentColor"
        stroke-width="1.5"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </svg>
  );
}

function Page({ route }: { route: string[] }) {
  const [section, id, tab] = route;
  switch (section) {
    case undefined:
    case "":
      return <OverviewPage />;
    case "topics":
      return id === undefined ? <TopicsPage /> : <TopicPage name={id} tab={tab} key={id} />;
    case "groups":
      return id === undefined ? <GroupsPage /> : <GroupPage groupId={id} key={id} />;
    case "broker":
      return <BrokerPage />;
    default:
      return (
        <div class="state" role="status">
          No page here. <a href="#/">Go to the overview</a>.
        </div>
      );
  }
}

function App() {
  const route = useHashRoute();
  const [theme, toggleTheme] = useTheme();
  const cluster = useApi(() => api.cluster(), "header", 30_000);
  const section = route[0] ?? "";
  return (
    <div class="layout">
      <aside class="sidebar">
        <a class="brand" href="#/">
          <span class="brand-mark" aria-hidden="true">
            ≈
          </span>
          Brook
        </a>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <a
              key={n.section}
              href={`#/${n.section}`}
              class={n.section === section ? "nav-item active" : "nav-item"}
              aria-current={n.section === section ? "page" : undefined}
            >
              <Icon name={n.icon} />
              {n.label}
            </a>
          ))}
        </nav>
      </aside>
      <div class="main">
        <header class="topbar">
          <div class="cluster-id">
            <span class="muted">Cluster</span>{" "}
            <code data-testid="cluster-id">{cluster.data?.clusterId ?? "…"}</code>
          </div>
          <button
            type="button"
            class="icon-button theme-toggle"
            aria-label="Dark mode"
            aria-pressed={theme === "dark"}
            title={theme === "dark" ? "Switch to light mode" : "Switch to dark mode"}
            onClick={toggleTheme}
          >
            {theme === "dark" ? "☀" : "☾"}
          </button>
        </header>
        <ErrorBanner />
        <main class="content">
          <Page route={route} />
        </main>
      </div>
    </div>
  );
}

applyInitialTheme();
render(<App />, document.getElementById("app")!);
