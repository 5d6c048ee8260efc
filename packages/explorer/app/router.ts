import { useSyncExternalStore } from "react";

/** A page address: `#/requests/7`, `#/requests?model=0x…&status=settled`. */
export interface Route {
  /** Path segments: `["requests", "7"]`. */
  segments: string[];
  query: URLSearchParams;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener("hashchange", listener);
  return () => window.removeEventListener("hashchange", listener);
}

const current = () => window.location.hash;

/** The current hash route; re-renders on navigation. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, current);
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?");
  return { segments: path.split("/").filter(Boolean), query: new URLSearchParams(query) };
}

/** A link target for a path and query (empty values are left out). */
export function href(path: string, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const search = params.toString();
  return `#/${path}${search ? `?${search}` : ""}`;
}

export function navigate(target: string): void {
  window.location.hash = target;
}
