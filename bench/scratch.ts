import { renderAnsibleFiles } from "./render-ansible-files";
import { AnsibleProject } from "./ansible";
import { readTesthost } from "../infra/testhost";
import { sshCounts, counted } from "./hosts";
import { WORK } from "./repo";
import * as path from "node:path";
(async () => {
  const rec = readTesthost(process.argv[2]);
  const r = renderAnsibleFiles(path.join(WORK, "scratch-files"), { env: { SECRET_KEY: "abc-secret-123456" } });
  console.log(r);
  const a = new AnsibleProject("scratch", [rec]);
  for (let i = 0; i < 2; i++) {
    const c = await counted([rec], () => a.run(r.dir));
    console.log(c.value.code, c.value.seconds, c.value.recap, c.ssh);
    if (c.value.code !== 0) console.log(c.value.output.slice(-5000));
  }
  a.cleanup();
})();
