// Throwaway PKI for tests: root CA -> intermediate CA -> leaf certificates, made with openssl.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface Leaf {
  cert: string;
  key: string;
  /** cert + intermediate */
  fullchain: string;
}

export class TestPki {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "aistudio-pki-"));
  readonly rootPem: string;
  readonly intermediatePem: string;

  constructor() {
    const o = (args: string[]) => execFileSync("openssl", args, { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] });
    fs.writeFileSync(path.join(this.dir, "ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n");
    o(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "365", "-subj", "/CN=aistudio test root", "-keyout", "root.key", "-out", "root.pem"]);
    o(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=aistudio test intermediate", "-keyout", "int.key", "-out", "int.csr"]);
    o(["x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-days", "365", "-extfile", "ca.ext", "-out", "int.pem"]);
    this.rootPem = fs.readFileSync(path.join(this.dir, "root.pem"), "utf8");
    this.intermediatePem = fs.readFileSync(path.join(this.dir, "int.pem"), "utf8");
  }

  /** A leaf for `name` signed by the intermediate; `expired` makes one that ended in 2020. */
  leaf(name: string, o: { expired?: boolean } = {}): Leaf {
    const id = `${name.replace(/[^a-z0-9]/gi, "_")}${o.expired ? "_expired" : ""}`;
    const x = (args: string[]) => execFileSync("openssl", args, { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] });
    fs.writeFileSync(path.join(this.dir, `${id}.ext`), `subjectAltName=DNS:${name}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
    x(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", `/CN=${name}`, "-keyout", `${id}.key`, "-out", `${id}.csr`]);
    if (o.expired) {
      // `openssl ca` is the 3.0 way to set explicit validity dates
      const db = path.join(this.dir, "ca-db");
      fs.mkdirSync(db, { recursive: true });
      fs.writeFileSync(path.join(db, "index.txt"), "");
      fs.writeFileSync(path.join(db, "serial"), "1000\n");
      fs.writeFileSync(path.join(this.dir, "ca.cnf"), `[ca]\ndefault_ca=d\n[d]\ndatabase=${db}/index.txt\nserial=${db}/serial\nnew_certs_dir=${db}\ndefault_md=sha256\npolicy=p\ncopy_extensions=copy\nunique_subject=no\n[p]\ncommonName=supplied\n`);
      x(["ca", "-batch", "-config", "ca.cnf", "-cert", "int.pem", "-keyfile", "int.key", "-in", `${id}.csr`, "-out", `${id}.pem`, "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-extfile", `${id}.ext`, "-notext"]);
    } else {
      x(["x509", "-req", "-in", `${id}.csr`, "-CA", "int.pem", "-CAkey", "int.key", "-CAcreateserial", "-days", "90", "-extfile", `${id}.ext`, "-out", `${id}.pem`]);
    }
    const cert = fs.readFileSync(path.join(this.dir, `${id}.pem`), "utf8");
    return { cert, key: fs.readFileSync(path.join(this.dir, `${id}.key`), "utf8"), fullchain: cert.trim() + "\n" + this.intermediatePem };
  }

  /** A self-signed certificate for `name`. */
  selfSigned(name: string): Leaf {
    const id = `self_${name.replace(/[^a-z0-9]/gi, "_")}`;
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30", "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`, "-keyout", `${id}.key`, "-out", `${id}.pem`], { cwd: this.dir, stdio: "pipe" });
    const cert = fs.readFileSync(path.join(this.dir, `${id}.pem`), "utf8");
    return { cert, key: fs.readFileSync(path.join(this.dir, `${id}.key`), "utf8"), fullchain: cert };
  }

  cleanup() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
