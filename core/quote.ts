// Quoting for POSIX sh: the one place a value becomes a shell word. The step scripts get it through
// provision/shell.ts; the doctor's server script (checks/doctor/server-facts.ts) uses it directly.
/** Quote one word for POSIX sh: wrap in single quotes, escape embedded single quotes. */
export function q(word: string): string {
  if (word === "") return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return "'" + word.replace(/'/g, `'"'"'`) + "'";
}

/** Quote each word and join with spaces. */
export function words(...ws: string[]): string {
  return ws.map(q).join(" ");
}
