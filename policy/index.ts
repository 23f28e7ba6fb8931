// The aistudio policy pack: `npm run pulumi -- preview --stack prod --policy-pack "$PWD/policy/analyzer"`.
// The policies live in ./policies and, for a fleet behind an ALB, ./fleet-policies (unit-tested in
// policies.test.ts and fleet-policies.test.ts).
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";
import { fleetPolicies } from "./fleet-policies";

new PolicyPack("aistudio", {
  description: "aistudio on Alibaba Cloud: 443 open to WeChat (a fleet: its ALB, TLS 1.2+), SSH only from admin networks, the app port closed, encrypted disks.",
  policies: [...policies, ...fleetPolicies],
});
