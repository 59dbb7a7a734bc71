//! The page in a real browser: headless Chromium (Debian's chromium and chromium-driver)
//! driven through WebDriver. Pick the A+B problem, choose Python, type a solution, Submit,
//! and see "Accepted" for every test. The screenshot is kept at
//! target/judge-browser.png (the README shows a copy, judge/screenshot.png).

mod common;
use common::*;
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: std::process::Child,
    addr: String,
    session: String,
    tmp: std::path::PathBuf,
}

impl Driver {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let (c, _, b) = request(&self.addr, method, &path, body.map(|b| b.to_string()).as_deref());
        let v: Value = serde_json::from_str(&b).unwrap_or_else(|_| panic!("{path}: {c} {b}"));
        assert_eq!(c, 200, "{method} {path}: {}", brief(&v));
        v["value"].clone()
    }
    fn find(&self, css: &str) -> String {
        let t0 = Instant::now();
        loop {
            let path = format!("/session/{}/element", self.session);
            let (c, _, b) =
                request(&self.addr, "POST", &path, Some(&json!({"using": "css selector", "value": css}).to_string()));
            if c == 200 {
                let v: Value = serde_json::from_str(&b).unwrap();
                return v["value"][ELEMENT].as_str().unwrap().to_string();
            }
            assert!(t0.elapsed() < Duration::from_secs(20), "no element {css}: {b}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    fn script(&self, js: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({"script": js, "args": []})))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = request(&self.addr, "DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Chromium's scoped dirs (org.chromium.Chromium.*) went to the test's own TMPDIR.
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

fn b64decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for ch in bytes.chunks(4) {
        let n = ch.iter().enumerate().fold(0u32, |a, (i, &c)| a | (val(c) as u32) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..ch.len()]);
    }
    out
}

#[test]
fn submit_from_the_page_in_headless_chromium() {
    let (drv, chrome) = ("/usr/bin/chromedriver", "/usr/bin/chromium");
    if !std::path::Path::new(drv).exists() || !std::path::Path::new(chrome).exists() {
        println!("SKIPPED: {drv} or {chrome} missing (apt-get install chromium chromium-driver)");
        return;
    }
    let s = Service::start("browser", &[]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // Chromium leaves org.chromium.Chromium.* in TMPDIR when it is ended: give it one of
    // the test's own, removed with the driver.
    let tmp = std::env::temp_dir().join(format!("judge-browser-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let child = Command::new(drv)
        .arg(format!("--port={port}"))
        .env("TMPDIR", &tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Owned from here: chromedriver (and with it the browser) goes even if a step fails.
    let mut d = Driver { child, addr: format!("127.0.0.1:{port}"), session: String::new(), tmp };
    let addr = d.addr.clone();
    let t0 = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(20), "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": chrome,
        // Root in a container: Chromium's own sandbox needs user namespaces it may not get.
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,860"]}}}});
    let (c, _, b) = request(&addr, "POST", "/session", Some(&caps.to_string()));
    assert_eq!(c, 200, "new session: {b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    d.session = v["value"]["sessionId"].as_str().unwrap().to_string();

    d.call("POST", "/url", Some(json!({"url": format!("http://{}/", s.addr)})));
    let prob = d.find("#problems li[data-id=aplusb]");
    d.call("POST", &format!("/element/{prob}/click"), Some(json!({})));
    let py = d.find("#language option[value=python]");
    d.call("POST", &format!("/element/{py}/click"), Some(json!({})));
    let src = d.find("#source");
    d.call("POST", &format!("/element/{src}/clear"), Some(json!({})));
    let code = "import sys\na, b = map(int, sys.stdin.read().split())\nprint(a + b)\n";
    d.call("POST", &format!("/element/{src}/value"), Some(json!({"text": code})));
    assert_eq!(d.script("return document.getElementById('source').value;"), code);
    let submit = d.find("#submit");
    d.call("POST", &format!("/element/{submit}/click"), Some(json!({})));

    let t0 = Instant::now();
    let verdict = loop {
        let v = d.script("return document.getElementById('verdict').textContent;");
        if v != "Judging…" && v != "" {
            break v;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "no verdict on the page");
        std::thread::sleep(Duration::from_millis(200));
    };
    let cells =
        d.script("return [...document.querySelectorAll('#tests tbody tr td:nth-child(2)')].map(x => x.textContent);");
    println!("page verdict: {verdict}, per test: {cells}");
    assert_eq!(verdict, "Accepted");
    assert_eq!(cells, json!(["Accepted", "Accepted", "Accepted"]));

    let png = b64decode(d.call("GET", "/screenshot", None).as_str().unwrap());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let out = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/judge-browser.png");
    std::fs::write(&out, &png).unwrap();
    println!("screenshot: {} ({} bytes)", out.display(), png.len());
    drop(d);
    s.stop_and_check();
}
