// Dynamic providers run in a separate Node process; their serialized code only calls this loader,
// which finds the compiled implementation in the project (the nearest ancestor directory of the
// process's working directory that holds it). Self-contained: it is serialized into the state.
export function loadImpl(rel: string): any {
  const path = require("path");
  const fs = require("fs");
  let dir = process.cwd();
  for (;;) {
    const candidate = path.join(dir, rel);
    if (fs.existsSync(candidate)) return require(candidate);
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`aistudio: cannot find ${rel} above ${process.cwd()}; run \`npm run build\` in the project`);
    dir = up;
  }
}

/**
 * A dynamic ResourceProvider whose methods forward to the compiled module `rel` (see loadImpl).
 * Only `rel` and these forwarders are serialized into the state; `delete` is a no-op when the
 * module has none (servers are destroyed as a whole).
 */
export function implProvider(rel: string): {
  create: (inputs: any) => Promise<any>;
  update: (id: string, olds: any, news: any) => Promise<any>;
  read: (id: string, props: any) => Promise<any>;
  diff: (id: string, olds: any, news: any) => Promise<any>;
  delete: (id: string, props: any) => Promise<void>;
} {
  return {
    create: async (inputs) => loadImpl(rel).create(inputs),
    update: async (id, olds, news) => loadImpl(rel).update(id, olds, news),
    read: async (id, props) => {
      const m = loadImpl(rel);
      return m.read ? m.read(id, props) : { id, props };
    },
    diff: async (id, olds, news) => loadImpl(rel).diff(id, olds, news),
    delete: async (id, props) => {
      const m = loadImpl(rel);
      if (m.deleteStep) await m.deleteStep(id, props);
    },
  };
}
