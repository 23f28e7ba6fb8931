// The troubleshooting guide as code. Runs the guide's checks in the order that finds the cause of
// `net::ERR_CONNECTION_CLOSED` / `request:fail` fastest, outside in: the request domain itself,
// DNS, TCP 443, TLS, the API, then the server over SSH, the security group and the mini program's
// config. Every result says expected vs found; every failure says the cause and the fix, in
// Chinese and English.
export type { Check, CheckOutcome, CheckResult, DoctorContext, DoctorTarget, Evidence, LogSource, SecurityGroupRule, Status } from "./check";
export { CHECKS } from "./checks";
export { ERROR_MAP, errorNote, orderFor, recognise, type ErrorEntry } from "./errors";
export { EXPLAINS, ROOT_CAUSE_ORDER, firstFailure } from "./cause";
export { runDoctor, type RunOptions } from "./run";
export { HTTP_CHECK_LOGS, LOGS, readLogsOverSsh, type EvidenceReader } from "./evidence";
export { formatResult } from "./format";
export { parseServerFacts, type ServerFacts } from "./server-facts";
