// The aistudio policy pack: `npm run pulumi -- preview --stack prod --policy-pack "$PWD/policy/analyzer"`.
// The policies live in ./policies (unit-tested in policies.test.ts).
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("aistudio", {
  description: "aistudio on Alibaba Cloud: 443 open to WeChat, SSH only from admin networks, the app port closed, encrypted disks.",
  policies,
});
