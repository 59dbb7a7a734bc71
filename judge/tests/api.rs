//! /api/run for each of the eight languages (compile under `--profile compile`, run under
//! `--profile judge`, through the real launcher), and every kind of bad input getting a 4xx
//! with a clear message.

mod common;
use common::*;
use serde_json::json;

const INPUT: &str = "5\n1 2 3 4\n100000000000\n";
const WANT: &str = "sum=100000000015\n";

const SOURCES: &[(&str, &str)] = &[
    ("c", "#include <stdio.h>\nint main(void) { long long x, s = 0; while (scanf(\"%lld\", &x) == 1) s += x; printf(\"sum=%lld\\n\", s); return 0; }\n"),
    ("cpp", "#include <iostream>\n#include <thread>\nint main() { long long x, s = 0; while (std::cin >> x) s += x; std::thread t([&]{ std::cout << \"sum=\" << s << std::endl; }); t.join(); }\n"),
    ("python", "import sys\nprint(f\"sum={sum(map(int, sys.stdin.read().split()))}\")\n"),
    ("java", "import java.util.*;\npublic class Main { public static void main(String[] a) { Scanner s = new Scanner(System.in); long t = 0; while (s.hasNextLong()) t += s.nextLong(); System.out.println(\"sum=\" + t); } }\n"),
    ("node", "const s = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).reduce((a, x) => a + BigInt(x), 0n);\nconsole.log(`sum=${s}`);\n"),
    ("go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tvar s, x int64\n\tfor {\n\t\tif _, err := fmt.Scan(&x); err != nil {\n\t\t\tbreak\n\t\t}\n\t\ts += x\n\t}\n\tfmt.Printf(\"sum=%d\\n\", s)\n}\n"),
    ("rust", "use std::io::Read;\nfn main() { let mut s = String::new(); std::io::stdin().read_to_string(&mut s).unwrap(); let t: i64 = s.split_whitespace().map(|x| x.parse::<i64>().unwrap()).sum(); println!(\"sum={}\", t); }\n"),
    ("ruby", "puts \"sum=#{STDIN.read.split.map(&:to_i).sum}\"\n"),
];

#[test]
fn eight_languages_and_bad_input() {
    let s = Service::start("api", &[]);
    for (lang, src) in SOURCES {
        let t0 = std::time::Instant::now();
        let v = s.run(lang, src, INPUT);
        println!(
            "{lang}: {} in {:.2} s (cpu {} s, memory {})",
            v["status"],
            t0.elapsed().as_secs_f64(),
            v["time"],
            v["memory"]
        );
        assert_eq!(v["status"], "OK", "{lang}: {}", brief(&v));
        assert_eq!(v["stdout"], WANT, "{lang}: {}", brief(&v));
        assert_eq!(v["exit_code"], 0, "{lang}: {}", brief(&v));
        assert!(v["memory"].as_u64().unwrap() > 0, "{lang}: {}", brief(&v));
    }

    // Compile error: the compiler's message comes back.
    let v = s.run("c", "int main( { return 0; }", "");
    assert_eq!(v["status"], "CE", "{}", brief(&v));
    assert!(v["compile_output"].as_str().unwrap().contains("error"), "{}", brief(&v));
    // Runtime error: exit code kept; stderr captured.
    let v = s.run("python", "import sys\nprint('to err', file=sys.stderr)\nsys.exit(3)", "");
    assert_eq!((v["status"].as_str(), v["exit_code"].as_i64()), (Some("RE"), Some(3)), "{}", brief(&v));
    assert_eq!(v["stderr"], "to err\n", "{}", brief(&v));
    // Time limit within the maxima.
    let v = s.post("/api/run", &json!({"language": "c", "source": "int main(){for(;;);}", "limits": {"time": 0.3}})).1;
    assert_eq!(v["status"], "TLE", "{}", brief(&v));
    assert!(v["time"].as_f64().unwrap() >= 0.3, "{}", brief(&v));
    // Memory limit.
    let v = s
        .post("/api/run", &json!({"language": "python", "source": "x = bytearray(200 << 20)\nprint(len(x))", "limits": {"memory": "64M"}}))
        .1;
    assert_eq!(v["status"], "MLE", "{}", brief(&v));
    // Output over the limit: stopped, and the captured stdout is capped and marked.
    let v = s
        .post(
            "/api/run",
            &json!({"language": "python", "source": "while True: print('y' * 1000)", "limits": {"output": "1M"}}),
        )
        .1;
    assert_eq!(v["status"], "OLE", "{}", brief(&v));
    assert_eq!(v["stdout_truncated"], true, "{}", brief(&v));
    assert!(v["stdout"].as_str().unwrap().len() <= 64 * 1024, "capture cap");
    // Forbidden system call.
    let v = s.run("c", "#include <sys/socket.h>\nint main(){ return socket(AF_INET, SOCK_STREAM, 0) < 0; }", "");
    assert_eq!((v["status"].as_str(), v["syscall"].as_str()), (Some("SV"), Some("socket")), "{}", brief(&v));

    // Bad input: 4xx, a clear message, and the service keeps serving.
    let bad = |body: &str, code: u16, needle: &str| {
        let (c, _, b) = s.req("POST", "/api/run", Some(body));
        assert_eq!(c, code, "{body}: {b}");
        let v: serde_json::Value = serde_json::from_str(&b).unwrap_or_else(|_| panic!("not JSON: {b}"));
        assert!(v["error"].as_str().unwrap().contains(needle), "{body}: {b}");
    };
    bad(r#"{"language": "cobol", "source": ""}"#, 400, "unknown language \"cobol\"");
    bad(r##"{"language": "c", "source": "#include"##, 400, "malformed JSON");
    bad(r#"not json"#, 400, "malformed JSON");
    bad(r#"{"language": "c", "source": "", "extra": 1}"#, 400, "unknown field");
    bad(r#"{"language": "c"}"#, 400, "missing field `source`");
    bad(&json!({"language": "c", "source": "x".repeat(65 * 1024)}).to_string(), 413, "over the limit of 65536");
    bad(r#"{"language": "c", "source": "", "limits": {"time": 11}}"#, 400, "limits.time 11 is outside");
    bad(r#"{"language": "c", "source": "", "limits": {"time": -1}}"#, 400, "limits.time");
    bad(r#"{"language": "c", "source": "", "limits": {"memory": "2G"}}"#, 400, "limits.memory");
    bad(r#"{"language": "c", "source": "", "limits": {"memory": "lots"}}"#, 400, "bad size");
    bad(r#"{"language": "c", "source": "", "limits": {"output": 1e12}}"#, 400, "limits.output");
    let (c, v) = s.post("/api/submissions", &json!({"problem": "nope", "language": "c", "source": ""}));
    assert_eq!(c, 404, "{}", brief(&v));
    assert_eq!(s.get("/api/submissions/999999").0, 404);
    assert_eq!(s.get("/api/submissions/abc").0, 400);
    assert_eq!(s.get("/nowhere").0, 404);
    let (c, v) = s.get("/healthz");
    assert_eq!((c, &v["ok"]), (200, &json!(true)), "{}", brief(&v));
    let (c, _, page) = s.req("GET", "/", None);
    assert!(c == 200 && page.contains("<textarea id=\"source\""), "{page}");
    let (c, _, js) = s.req("GET", "/app.js", None);
    assert!(c == 200 && js.contains("/api/submissions"));
    println!("health: {}", brief(&v));
    s.stop_and_check();
}

/// A full queue answers 503 with Retry-After; what was accepted is still judged.
#[test]
fn bounded_queue_503() {
    let s = Service::start("queue", &["--workers", "1", "--queue-max", "2"]);
    let slow = "import time\nwhile True: pass";
    let mut accepted = Vec::new();
    let mut rejected = 0;
    for _ in 0..6 {
        let body = json!({"problem": "aplusb", "language": "python", "source": slow}).to_string();
        let (c, h, b) = s.req("POST", "/api/submissions", Some(&body));
        match c {
            201 => accepted.push(serde_json::from_str::<serde_json::Value>(&b).unwrap()["id"].as_i64().unwrap()),
            503 => {
                assert!(h.iter().any(|(k, v)| k == "retry-after" && v == "5"), "{h:?}");
                assert!(b.contains("full"), "{b}");
                rejected += 1;
            }
            _ => panic!("{c}: {b}"),
        }
    }
    println!("accepted {} rejected {rejected}", accepted.len());
    assert!(rejected >= 3 && accepted.len() <= 3, "accepted {accepted:?}");
    for id in accepted {
        assert_eq!(s.wait(id, std::time::Duration::from_secs(120))["verdict"], "TLE");
    }
    s.stop_and_check();
}

/// The example config file loads (sizes written "64K"), flags override it, and the
/// per-client rate limit answers 429 with Retry-After once the burst is spent.
#[test]
fn config_file_and_rate_limit() {
    let conf = concat!(env!("CARGO_MANIFEST_DIR"), "/judge.toml");
    // The file's paths are for a deployment; the flags after it point at the test's own.
    let s = Service::start("ratelimit", &["--config", conf, "--rate-limit", "1", "--listen", "127.0.0.1:0"]);
    let mut codes = Vec::new();
    for _ in 0..14 {
        let (c, h, b) = s.req("POST", "/api/run", Some("{"));
        if c == 429 {
            assert!(h.iter().any(|(k, v)| k == "retry-after" && v == "1"), "{h:?}");
            assert!(b.contains("too many requests"), "{b}");
        }
        codes.push(c);
    }
    println!("codes: {codes:?}");
    // Burst 10 (10 × 1/s), then refused; maybe one more token refilled meanwhile.
    assert!(codes[..10].iter().all(|&c| c == 400), "{codes:?}");
    assert!(codes[11..].iter().all(|&c| c == 429), "{codes:?}");
    // GETs are not limited.
    assert_eq!(s.get("/healthz").0, 200);
    s.stop_and_check();
}
