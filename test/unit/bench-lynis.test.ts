// The bench's Lynis reader (bench/lynis.ts, issue #16): the hardening index, warnings and
// suggestions from Lynis' report file, and the lines the bench prints for both hosts.
import { describe, expect, it } from "vitest";
import { parseLynisReport, renderLynis } from "../../bench/lynis";

const DAT = `# Lynis Report
lynis_version=3.0.8
warning[]=PKGS-7392|Found one or more vulnerable packages.|-|-|
suggestion[]=KRNL-5820|If not required, consider explicit disabling of core dump in /etc/security/limits.conf file|-|-|
suggestion[]=SSH-7408|Consider hardening SSH configuration|MaxAuthTries (set 6 to 3)|-|
hardening_index=61
`;

describe("Lynis in the bench", () => {
  it("reads the index, the warnings and the suggestions with their details", () => {
    expect(parseLynisReport(DAT)).toEqual({
      version: "3.0.8",
      hardeningIndex: 61,
      warnings: [{ id: "PKGS-7392", text: "Found one or more vulnerable packages.", details: "" }],
      suggestions: [
        { id: "KRNL-5820", text: "If not required, consider explicit disabling of core dump in /etc/security/limits.conf file", details: "" },
        { id: "SSH-7408", text: "Consider hardening SSH configuration", details: "MaxAuthTries (set 6 to 3)" },
      ],
    });
  });

  it("prints both indexes, then ours' warnings and suggestions", () => {
    const ours = { ran: true, seconds: 30, ...parseLynisReport(DAT) };
    const lines = renderLynis({ ours, ansible: { ran: true, seconds: 30, ...parseLynisReport(DAT.replace("=61", "=58")) } });
    expect(lines[0]).toMatch(/hardening index .*: ours 61, Ansible 58$/);
    expect(lines).toContain("    warning PKGS-7392: Found one or more vulnerable packages.");
    expect(lines).toContain("    SSH-7408: Consider hardening SSH configuration [MaxAuthTries (set 6 to 3)]");
    expect(renderLynis({ ours: { ran: false, error: "no lynis", warnings: [], suggestions: [], seconds: 1 }, ansible: ours })[0]).toMatch(/ours did not run \(no lynis\), Ansible 61/);
  });
});
