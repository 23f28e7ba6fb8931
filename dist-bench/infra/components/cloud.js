"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.AlicloudServer = exports.IMAGE_REGEX = void 0;
exports.ingressRules = ingressRules;
exports.userData = userData;
// AlicloudServer: the Alibaba Cloud side, declared so it is reviewed in `pulumi preview` and
// guarded by the policy pack (policy/). The guide's first server-side failure, a security group
// without 443, cannot come back: the rules below are the only ingress there is.
//
//   VPC + vSwitch (or existing ids) -> security group + ingress rules (80, 443 world; 22 admin CIDRs)
//   -> key pair -> ECS instance (system image by config) -> EIP + association -> optional DNS A record
// Or, in adopt mode, nothing is created for the server: the existing address (and optionally its
// security group, whose rules are then managed here) is used.
const pulumi = __importStar(require("@pulumi/pulumi"));
const alicloud = __importStar(require("@pulumi/alicloud"));
/** The exact ingress rules of the server's security group. Port 8000 never appears. */
function ingressRules(cfg) {
    return [
        { port: 443, cidr: "0.0.0.0/0", description: "HTTPS for the WeChat mini program (request合法域名)" },
        { port: 80, cidr: "0.0.0.0/0", description: "HTTP: ACME HTTP-01 challenges and the redirect to HTTPS" },
        ...cfg.firewall.adminCidrs.map((cidr) => ({ port: cfg.server.port, cidr, description: `SSH from admin network ${cidr}` })),
    ];
}
exports.IMAGE_REGEX = {
    debian12: "^debian_12_\\d+_x64",
    ubuntu2204: "^ubuntu_22_04_x64",
    ubuntu2404: "^ubuntu_24_04_x64",
};
/** cloud-init user data: installs the pinned SSH host key so the first connection can be verified. */
function userData(hostPrivateKey, hostPublicKey) {
    const indent = (s) => s.trim().split("\n").map((l) => "    " + l).join("\n");
    return `#cloud-config
ssh_deletekeys: true
ssh_genkeytypes: []
ssh_keys:
  ed25519_private: |
${indent(hostPrivateKey)}
  ed25519_public: ${hostPublicKey.trim()}
`;
}
class AlicloudServer extends pulumi.ComponentResource {
    constructor(name, args, opts) {
        super("aistudio:cloud:AlicloudServer", name, {}, opts);
        const cfg = args.config;
        const c = cfg.cloud;
        const provider = new alicloud.Provider(`${name}-provider`, { region: c.region }, { parent: this });
        const o = { parent: this, provider };
        if (c.adopt) {
            this.publicIp = pulumi.output(c.adopt.address);
            this.securityGroupId = pulumi.output(c.adopt.securityGroupId);
            if (c.adopt.securityGroupId)
                this.rules(name, c.adopt.securityGroupId, cfg, o);
            this.registerOutputs({ publicIp: this.publicIp });
            return;
        }
        let vpcId;
        let vswitchId;
        if (c.vpcId && c.vswitchId) {
            vpcId = c.vpcId;
            vswitchId = c.vswitchId;
        }
        else {
            const zoneId = c.zoneId ?? alicloud.getZonesOutput({ availableResourceCreation: "VSwitch", availableInstanceType: c.instanceType }, { provider }).zones[0].id;
            const vpc = new alicloud.vpc.Network(`${name}-vpc`, { vpcName: `${name}-vpc`, cidrBlock: c.vpcCidr }, o);
            const vsw = new alicloud.vpc.Switch(`${name}-vswitch`, { vswitchName: `${name}-vswitch`, vpcId: vpc.id, cidrBlock: c.vswitchCidr, zoneId }, o);
            vpcId = vpc.id;
            vswitchId = vsw.id;
        }
        const sg = new alicloud.ecs.SecurityGroup(`${name}-sg`, {
            securityGroupName: `${name}-web`,
            description: "aistudio: 443/80 from the world, 22 from admin networks only",
            vpcId,
        }, o);
        this.rules(name, sg.id, cfg, o);
        const image = alicloud.ecs.getImagesOutput({ owners: "system", nameRegex: exports.IMAGE_REGEX[c.image], mostRecent: true, instanceType: c.instanceType }, { provider });
        const keyPair = new alicloud.ecs.EcsKeyPair(`${name}-key`, { keyPairName: `${name}-deploy`, publicKey: c.sshPublicKey }, o);
        const instance = new alicloud.ecs.Instance(`${name}-server`, {
            instanceName: `${name}-server`,
            hostName: name,
            instanceType: c.instanceType,
            imageId: image.images[0].id,
            vswitchId,
            securityGroups: [sg.id],
            systemDiskCategory: c.systemDiskCategory,
            systemDiskSize: c.systemDiskSize,
            systemDiskEncrypted: true,
            // Charge types are explicit: the provider no longer defaults them.
            instanceChargeType: "PostPaid",
            internetChargeType: "PayByTraffic",
            internetMaxBandwidthOut: 0, // public traffic goes through the EIP below
            keyName: keyPair.keyPairName,
            userData: args.hostPrivateKey ? pulumi.secret(pulumi.output(args.hostPrivateKey).apply((k) => userData(k, cfg.server.hostKey))) : undefined,
            securityEnhancementStrategy: "Active",
            tags: { app: "aistudio", stack: cfg.stack },
        }, { ...o, additionalSecretOutputs: ["userData"] });
        this.instanceId = instance.id;
        const eip = new alicloud.ecs.EipAddress(`${name}-eip`, {
            addressName: `${name}-eip`,
            bandwidth: String(c.internetMaxBandwidthOut),
            internetChargeType: "PayByTraffic",
            paymentType: "PayAsYouGo",
        }, { ...o, protect: cfg.stack === "prod" });
        const assoc = new alicloud.ecs.EipAssociation(`${name}-eip-assoc`, { allocationId: eip.id, instanceId: instance.id, instanceType: "EcsInstance" }, o);
        if (c.dnsZone) {
            const rr = cfg.domain === c.dnsZone ? "@" : cfg.domain.slice(0, -(c.dnsZone.length + 1));
            new alicloud.dns.AlidnsRecord(`${name}-dns`, { domainName: c.dnsZone, rr, type: "A", value: eip.ipAddress, ttl: 600 }, { ...o, dependsOn: [assoc] });
        }
        this.publicIp = pulumi.all([eip.ipAddress, assoc.id]).apply(([ip]) => ip);
        this.securityGroupId = sg.id;
        this.registerOutputs({ publicIp: this.publicIp, securityGroupId: this.securityGroupId, instanceId: instance.id });
    }
    rules(name, sgId, cfg, o) {
        for (const r of ingressRules(cfg)) {
            const id = r.cidr === "0.0.0.0/0" ? `${r.port}` : `${r.port}-${r.cidr.replace(/[./]/g, "-")}`;
            new alicloud.ecs.SecurityGroupRule(`${name}-in-${id}`, {
                securityGroupId: sgId,
                type: "ingress",
                ipProtocol: "tcp",
                nicType: "intranet",
                policy: "accept",
                portRange: `${r.port}/${r.port}`,
                priority: 1,
                cidrIp: r.cidr,
                description: r.description,
            }, o);
        }
    }
}
exports.AlicloudServer = AlicloudServer;
//# sourceMappingURL=cloud.js.map