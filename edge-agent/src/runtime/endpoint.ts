// The endpoint URL of an instance listening on host:port, as the runtimes hand it out (always
// with a trailing slash, so `${endpoint}healthz` is the health URL).

/** `http://host:port/`, with an IPv6 literal in brackets [RFC3986 §3.2.2]. */
export function httpEndpoint(host: string, port: number | string): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}
