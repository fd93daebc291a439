/** Small shared pieces: banner, loading/empty states, dialog, tabs, badges, stat cards. */
import { type ComponentChildren, cloneElement, type VNode } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";
import { clearError, useErrorBanner } from "./state.js";

export function ErrorBanner() {
  const message = useErrorBanner();
  if (!message) return null;
  return (
    <div class="banner" role="alert" data-testid="error-banner">
      <span class="banner-text" title={message}>
        {message}
      </span>
      <button type="button" class="banner-close" aria-label="Dismiss error" onClick={clearError}>
        ×
      </button>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <div class="state" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

export function EmptyRow({ columns, children }: { columns: number; children: ComponentChildren }) {
  return (
    <tr class="empty-row">
      <td colSpan={columns}>{children}</td>
    </tr>
  );
}

export function PageHeader({ title, children }: { title: ComponentChildren; children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <h1>{title}</h1>
      {children && <div class="page-actions">{children}</div>}
    </div>
  );
}

export function StatCard({ label, value, hint }: { label: string; value: ComponentChildren; hint?: string }) {
  return (
    <div class="stat">
      <div class="stat-label">{label}</div>
      <div class="stat-value" data-testid={`stat-${label.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`}>
        {value}
      </div>
      {hint && <div class="stat-hint">{hint}</div>}
    </div>
  );
}

const STATUS_CLASS: Record<string, string> = {
  OK: "ok",
  WARN: "warn",
  STALL: "bad",
  STOP: "bad",
  ERR: "bad",
  REWIND: "info",
};

export function StatusBadge({ status }: { status: string | null }) {
  if (!status)
    return (
      <span class="badge muted" title="no lag window yet">
        —
      </span>
    );
  return <span class={`badge ${STATUS_CLASS[status] ?? "muted"}`}>{status}</span>;
}

export function StateBadge({ state }: { state: string }) {
  const cls = state === "Stable" ? "ok" : state === "Empty" ? "muted" : state === "Dead" ? "bad" : "warn";
  return <span class={`badge ${cls}`}>{state}</span>;
}

/** A modal dialog; Escape or the close button calls onClose. */
export function Dialog({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const id = useId();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    ref.current?.querySelector<HTMLElement>("input, textarea, select, button")?.focus();
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div class="overlay">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby={id} ref={ref}>
        <div class="dialog-head">
          <h2 id={id}>{title}</h2>
          <button type="button" class="icon-button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}

export function Tabs<T extends string>({
  tabs,
  current,
  hrefFor,
}: {
  tabs: { id: T; label: string }[];
  current: T;
  hrefFor: (id: T) => string;
}) {
  return (
    <nav class="tabs" aria-label="Sections">
      {tabs.map((t) => (
        <a
          key={t.id}
          class={t.id === current ? "tab active" : "tab"}
          href={hrefFor(t.id)}
          aria-current={t.id === current ? "page" : undefined}
        >
          {t.label}
        </a>
      ))}
    </nav>
  );
}

/**
 * A labelled form field. The label points at its one control by id (not by wrapping it), so the
 * control's accessible name is the label alone, not the label plus a select's option texts.
 */
export function Field({ label, children, wide }: { label: string; children: VNode<any>; wide?: boolean }) {
  const id = useId();
  return (
    <div class={wide ? "field wide" : "field"}>
      <label class="field-label" for={id}>
        {label}
      </label>
      {cloneElement(children, { id })}
    </div>
  );
}
