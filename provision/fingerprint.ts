// The build fingerprint: what two servers built from the same code and config must share —
// digests of the managed files, package versions, unit settings, firewall rules, listeners and
// the live release. Certificates are left out (a self-signed or ACME certificate differs per build).
import { Step } from "./step";
import { words } from "./shell";
import { PACKAGES } from "./packages";

export function fingerprintStep(o: { files: string[]; after: string[] }): Step {
  const files = [...new Set(o.files)].sort();
  return {
    id: "fingerprint",
    description: "record the build fingerprint (managed files, packages, unit, firewall, listeners)",
    files: [],
    // the step re-runs (and re-records) whenever any other step changed
    apply: `# after: ${o.after.join(" ")}\ntrue`,
    probe: `for f in ${words(...files)}; do probe_file "$f"; done
dpkg-query -W -f='package \${Package} \${Version}\\n' ${words(...PACKAGES, "python3")} 2>&1 | sort
systemctl show aistudio -p User -p Group -p ExecStart -p EnvironmentFiles -p ProtectSystem -p NoNewPrivileges -p Restart 2>&1 | sed 's/ ; start_time=.*//; s/ ; pid=.*//' | sort
ufw show added 2>&1
echo "listeners $(ss -Htln | awk '{print $4}' | sort -u | tr '\\n' ' ')"
echo "release $(readlink /srv/aistudio/current 2>/dev/null || echo none)"
echo "nginx-sites $(ls /etc/nginx/sites-enabled | tr '\\n' ' ')"`,
  };
}
