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

const NAV = [
  { section: "", label: "Overview", icon: "◉" },
  { section: "topics", label: "Topics", icon: "≡" },
  { section: "groups", label: "Consumer groups", icon: "⧉" },
  { section: "broker", label: "Broker", icon: "⚙" },
];

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
              <span class="nav-icon" aria-hidden="true">
                {n.icon}
              </span>
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
