/** Light/dark theme: follows prefers-color-scheme until the user picks one, then remembers it. */
import { useEffect, useState } from "preact/hooks";

export type Theme = "light" | "dark";
const STORAGE_KEY = "brook-console-theme";

function stored(): Theme | null {
  try {
    const t = localStorage.getItem(STORAGE_KEY);
    return t === "light" || t === "dark" ? t : null;
  } catch {
    return null;
  }
}

function systemTheme(): Theme {
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function applyInitialTheme(): void {
  document.documentElement.dataset.theme = stored() ?? systemTheme();
}

export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => stored() ?? systemTheme());
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => {
    const media = window.matchMedia?.("(prefers-color-scheme: dark)");
    if (!media) return;
    const onChange = () => {
      if (!stored()) setTheme(systemTheme());
    };
    media.addEventListener("change", onChange);
    return () => media.removeEventListener("change", onChange);
  }, []);
  const toggle = () => {
    const next: Theme = theme === "dark" ? "light" : "dark";
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Storage can be disabled; the choice then lasts for this page only.
    }
    // At once, not after the next render: the page's colours follow the click without a delay.
    document.documentElement.dataset.theme = next;
    setTheme(next);
  };
  return [theme, toggle];
}
