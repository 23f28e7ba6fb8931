// The checks in the guide's order: outside in, from the request domain to the mini program; then
// the operating system around the app (security updates, reboot, clock, fail2ban: os.ts).
import { Check } from "./check";
import { domainCheck } from "./domain";
import { wechatDomainsCheck } from "./wechat-domains";
import { dnsCheck } from "./dns";
import { tcp443Check } from "./tcp443";
import { tlsCertCheck } from "./tls-cert";
import { tlsVersionsCheck } from "./tls-versions";
import { httpRedirectCheck } from "./http-redirect";
import { apiJsonCheck } from "./api-json";
import { adminJsonCheck } from "./admin-json";
import { serverServicesCheck } from "./server-services";
import { ufw443Check } from "./ufw443";
import { securityGroupCheck } from "./security-group";
import { miniprogramCheck } from "./miniprogram";
import { backupCheck, databaseCheck, dataVolumeCheck } from "./data";
import { OS_CHECKS } from "./os";
import { loadBalancerCheck } from "./fleet";

export const CHECKS: Check[] = [
  domainCheck,
  wechatDomainsCheck,
  dnsCheck,
  tcp443Check,
  tlsCertCheck,
  tlsVersionsCheck,
  httpRedirectCheck,
  apiJsonCheck,
  adminJsonCheck,
  serverServicesCheck,
  loadBalancerCheck,
  dataVolumeCheck,
  databaseCheck,
  backupCheck,
  ufw443Check,
  securityGroupCheck,
  miniprogramCheck,
  ...OS_CHECKS,
];
