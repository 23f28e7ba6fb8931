// HAProxy's `show stat` parsed into the pool's members (core/lb/haproxy-stat.ts), on output captured
// from HAProxy 2.6.12 (Debian 12's) on a test host running the loadbalancer step with two servers:
// the whole `show stat` (frontends, the backend row, b1 at weight 0, b2 failing its check with a
// 500), right after a reload (b2 not checked yet), b1 drained and in maintenance by hand, b2
// refused, and a check under way.
import { describe, expect, it } from "vitest";
import { checkDetail, healthOf, parseShowStat, parseStatCsv, HAPROXY_WEIGHT, SERVER_NAME } from "../../core/lb/haproxy-stat";
import { FULL_WEIGHT } from "../../core/lb/pool";

const HEADER = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,";
/** `show stat` (every proxy) with b1 set to weight 0 and b2's health check answered 500. */
const FULL = [
  "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,",
  "http,FRONTEND,,,0,0,9978,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,0,,,,0,0,0,0,0,0,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,0,0,0,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,",
  "https,FRONTEND,,,0,0,9978,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,3,0,,,,0,0,0,0,,,,0,0,0,0,0,0,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,0,0,0,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,",
  "aistudio,b1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,0,1,0,0,1,7,0,,1,4,1,,0,,2,0,,0,L7OK,200,2,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,2,3,,,,127.0.0.1:9441,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,0,,,,-,2,9,0,,,,,,,,,,,,,,,,,,,,,,",
  "aistudio,b2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,100,1,0,1,1,10,10,,1,4,2,,0,,2,0,,0,L7STS,500,2,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Internal Server Error,,0,0,0,0,,,,Layer7 wrong status,,2,2,0,,,,127.0.0.1:9442,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,100,,,,-,2,9,0,,,,,,,,,,,,,,,,,,,,,,",
  "aistudio,BACKEND,0,0,0,0,998,0,0,0,0,0,,0,0,0,0,DOWN,0,0,0,,2,1,1,,1,4,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,http,roundrobin,,,,,,,0,0,0,0,0,,,0,0,0,0,0,,,,,0,0,0,0,-,4,18,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,22,22,2957,1496,0,0,",
].join("\n");
/** `show stat aistudio 4 -1` 0.3 s after `systemctl reload haproxy`. */
const AFTER_RELOAD = [
  "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,",
  "aistudio,b1,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,100,1,0,0,0,1,0,,1,4,1,,0,,2,0,,0,L7OK,200,12,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,2,3,,,,127.0.0.1:9441,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,100,,,,-,1,0,0,,,,,,,,,,,,,,,,,,,,,,",
  "aistudio,b2,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP 1/2,100,1,0,0,0,1,0,,1,4,2,,0,,2,0,,0,INI,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Initializing,,2,2,2,,,,127.0.0.1:9442,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,100,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,",
].join("\n");
/** b1 after `set server aistudio/b1 state drain`, then `state maint`. */
const DRAINED = [HEADER, "aistudio,b1,0,0,0,0,,0,0,0,,0,,0,0,0,0,DRAIN,100,1,0,0,0,0,0,,1,4,1,,0,,2,0,,0,L7OK,200,3,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,2,3,,,,127.0.0.1:9441,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,100,,,,-,2,2,0,,,,,,,,,,,,,,,,,,,,,,"].join("\n");
const MAINT = [HEADER, "aistudio,b1,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,100,1,0,0,1,0,0,,1,4,1,,0,,2,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:9441,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,100,,,,-,2,2,0,,,,,,,,,,,,,,,,,,,,,,"].join("\n");
/** b2 stopped (connection refused), and b2 while a check of it was running. */
const REFUSED = [HEADER, "aistudio,b2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,100,1,0,1,1,8,8,,1,4,2,,0,,2,0,,0,L4CON,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Connection refused,,0,0,0,0,,,,Layer4 connection problem,,2,2,0,,,,127.0.0.1:9442,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,100,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,"].join("\n");
const RUNNING = [HEADER, "aistudio,b2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,100,1,0,1,1,11,11,,1,4,2,,0,,2,0,,0,* L7STS,0,3,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 wrong status,,2,2,0,,,,127.0.0.1:9442,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,100,,,,-,2,1,0,,,,,,,,,,,,,,,,,,,,,,"].join("\n");

describe("parseShowStat (captured from HAProxy 2.6.12)", () => {
  it("reads the backend's servers only: no FRONTEND/BACKEND row, no other proxy", () => {
    expect(parseStatCsv(FULL).map((r) => `${r.pxname}/${r.svname}`)).toEqual(["http/FRONTEND", "https/FRONTEND", "aistudio/b1", "aistudio/b2", "aistudio/BACKEND"]);
    expect(parseShowStat(FULL, "aistudio")).toEqual([
      { id: "b1", weight: 0, health: "healthy", active: 0, detail: "UP; L7OK 200 in 2 ms: Layer7 check passed" },
      { id: "b2", weight: 100, health: "unhealthy", active: 0, detail: "DOWN; L7STS 500 in 2 ms: Internal Server Error" },
    ]);
    expect(parseShowStat(FULL, "other")).toEqual([]);
  });

  it("a server not checked yet after a (re)start is UP to HAProxy but unknown to the pool", () => {
    const [b1, b2] = parseShowStat(AFTER_RELOAD, "aistudio");
    expect(b1.health).toBe("healthy");
    expect(b2).toEqual({ id: "b2", weight: 100, health: "unknown", active: 0, detail: "UP 1/2; INI: Initializing" });
  });

  it("DRAIN is healthy at weight 0 (the column keeps 100); MAINT is unhealthy", () => {
    expect(parseShowStat(DRAINED, "aistudio")[0]).toMatchObject({ id: "b1", weight: 0, health: "healthy", detail: "DRAIN; L7OK 200 in 3 ms: Layer7 check passed" });
    expect(parseShowStat(MAINT, "aistudio")[0]).toMatchObject({ id: "b1", weight: 100, health: "unhealthy", detail: "MAINT; no check result" });
  });

  it("names the reason of a failing check: refused, or a check still running (its code 0 dropped)", () => {
    expect(parseShowStat(REFUSED, "aistudio")[0]).toMatchObject({ health: "unhealthy", detail: "DOWN; L4CON in 0 ms: Connection refused" });
    expect(parseShowStat(RUNNING, "aistudio")[0].detail).toBe("DOWN; L7STS in 3 ms: Layer7 wrong status");
  });

  it("reads scur as the requests in flight", () => {
    const busy = FULL.replace(/^aistudio,b1,0,0,0,0,/m, "aistudio,b1,0,0,2,3,");
    expect(parseShowStat(busy, "aistudio")[0].active).toBe(2);
  });

  it("refuses output that is not show stat's", () => {
    expect(() => parseStatCsv("Unknown command. Please enter one of the following commands only :")).toThrow(/header/);
  });

  it("every status HAProxy 2.6 prints maps to a health", () => {
    const cases: [string, string, string][] = [
      ["UP", "L7OK", "healthy"], ["UP 1/2", "L7STS", "healthy"], ["UP 1/2", "INI", "unknown"], ["DRAIN", "L7OK", "healthy"], ["DRAIN 1/2", "L7STS", "healthy"],
      ["DRAIN (agent)", "L7OK", "unhealthy"], ["DOWN", "L4CON", "unhealthy"], ["DOWN 1/2", "L7OK", "unhealthy"], ["NOLB", "L7OKC", "unhealthy"],
      ["MAINT", "", "unhealthy"], ["MAINT (via aistudio/b2)", "", "unhealthy"], ["no check", "", "unknown"],
    ];
    for (const [status, check, health] of cases) expect(healthOf(status, check), status + " " + check).toBe(health);
    expect(checkDetail({ check_status: "" })).toBe("no check result");
  });

  it("the configured weight is the pool's full weight, and server names cannot carry a second command", () => {
    expect(HAPROXY_WEIGHT).toBe(FULL_WEIGHT);
    expect(SERVER_NAME.test("b1")).toBe(true);
    expect(SERVER_NAME.test("i-bp1f9kdprbgy9uiu.web-1")).toBe(true);
    for (const bad of ["b1;shutdown sessions server aistudio/b2", "b1\nshow info", "b 1", "", "b1/x"]) expect(SERVER_NAME.test(bad), bad).toBe(false);
  });
});
