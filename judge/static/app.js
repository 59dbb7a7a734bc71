// The judge page: plain JS, no build step. Run sends the editor and stdin to /api/run;
// Submit queues a submission for the chosen problem and polls its per-test verdicts.
'use strict';
const $ = (id) => document.getElementById(id);
const NAMES = { AC: 'Accepted', WA: 'Wrong answer', TLE: 'Time limit exceeded', MLE: 'Memory limit exceeded',
  OLE: 'Output limit exceeded', RE: 'Runtime error', CE: 'Compilation error', SV: 'Forbidden system call',
  XX: 'Judge error', OK: 'OK' };
const SAMPLES = {
  c: '#include <stdio.h>\nint main(void) {\n    long long a, b;\n    scanf("%lld %lld", &a, &b);\n    printf("%lld\\n", a + b);\n    return 0;\n}\n',
  cpp: '#include <iostream>\nint main() {\n    long long a, b;\n    std::cin >> a >> b;\n    std::cout << a + b << "\\n";\n}\n',
  python: 'a, b = map(int, input().split())\nprint(a + b)\n',
  java: 'import java.util.*;\npublic class Main {\n    public static void main(String[] x) {\n        Scanner s = new Scanner(System.in);\n        System.out.println(s.nextLong() + s.nextLong());\n    }\n}\n',
  node: "const [a, b] = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).map(BigInt);\nconsole.log(String(a + b));\n",
  go: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar a, b int64\n\tfmt.Scan(&a, &b)\n\tfmt.Println(a + b)\n}\n',
  rust: 'use std::io::Read;\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n    println!("{}", v[0] + v[1]);\n}\n',
  ruby: 'a, b = gets.split.map(&:to_i)\nputs a + b\n',
};
let problem = null;
let poll = null;

function fmtMem(b) { return b == null ? '' : (b / 1048576).toFixed(1) + ' MiB'; }
function showVerdict(v) {
  const el = $('verdict');
  el.className = v || '';
  el.textContent = v ? (NAMES[v] || v) : 'Judging…';
}
async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const j = await r.json().catch(() => ({ error: 'HTTP ' + r.status }));
  if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
  return j;
}
function clearResults() {
  if (poll) clearTimeout(poll);
  $('tests').tBodies[0].innerHTML = '';
  $('output').textContent = '';
}

async function init() {
  const langs = await api('/api/languages');
  for (const l of langs) $('language').add(new Option(l.name, l.id));
  $('language').onchange = () => { if (!$('source').value.trim() || Object.values(SAMPLES).includes($('source').value)) $('source').value = SAMPLES[$('language').value] || ''; };
  $('source').value = SAMPLES.c;
  $('stdin').value = '1 2\n';
  const probs = await api('/api/problems');
  for (const p of probs) {
    const li = document.createElement('li');
    li.textContent = p.title;
    li.dataset.id = p.id;
    li.onclick = () => pick(p, li);
    $('problems').append(li);
  }
  $('run').onclick = run;
  $('submit').onclick = submit;
}
function pick(p, li) {
  problem = p;
  for (const x of $('problems').children) x.classList.toggle('on', x === li);
  $('statement').textContent = `${p.statement}\n\nTime ${p.time_limit} s, memory ${fmtMem(p.memory_limit)}, ${p.tests} tests, ${p.checker} checker.` +
    (p.example ? `\n\nExample input:\n${p.example.input}\nExample output:\n${p.example.output}` : '');
  if (p.example) $('stdin').value = p.example.input;
  $('submit').disabled = false;
  $('submit').title = 'submit to ' + p.title;
}
async function run() {
  clearResults();
  showVerdict(null);
  try {
    const r = await api('/api/run', { language: $('language').value, source: $('source').value, stdin: $('stdin').value });
    showVerdict(r.status);
    if (r.status === 'CE') { $('output').textContent = r.compile_output; return; }
    const row = $('tests').tBodies[0].insertRow();
    row.innerHTML = `<td>run</td><td class="${r.status}">${r.status}</td><td>${r.time.toFixed(3)} s</td><td>${fmtMem(r.memory)}</td><td></td>`;
    let text = r.stdout + (r.stdout_truncated ? '\n[stdout truncated]' : '');
    if (r.stderr) text += '\n--- stderr ---\n' + r.stderr + (r.stderr_truncated ? '\n[stderr truncated]' : '');
    if (r.status === 'SV') text += `\n--- forbidden system call: ${r.syscall}`;
    else if (r.status !== 'OK' && r.message) text += '\n--- ' + r.message;
    $('output').textContent = text;
  } catch (e) { showVerdict('XX'); $('output').textContent = e.message; }
}
async function submit() {
  if (!problem) return;
  clearResults();
  showVerdict(null);
  try {
    const { id } = await api('/api/submissions', { problem: problem.id, language: $('language').value, source: $('source').value });
    const tick = async () => {
      const s = await api('/api/submissions/' + id);
      const body = $('tests').tBodies[0];
      for (const t of s.tests) {
        if (body.rows[t.test - 1]) continue;
        const row = body.insertRow();
        row.innerHTML = `<td>${t.test}</td><td class="${t.verdict}" title="${t.message || ''}">${NAMES[t.verdict] || t.verdict}</td><td>${(t.time || 0).toFixed(3)} s</td><td>${fmtMem(t.memory)}</td><td></td>`;
      }
      if (s.state === 'done') {
        showVerdict(s.verdict);
        $('output').textContent = s.compile_output || `${s.passed} of ${s.total} tests passed` + (s.first_failed ? `; first failed: test ${s.first_failed}` : '');
      } else {
        $('output').textContent = `submission ${id}: ${s.state}, ${s.tests.length} of ${s.total} tests judged`;
        poll = setTimeout(tick, 300);
      }
    };
    tick();
  } catch (e) { showVerdict('XX'); $('output').textContent = e.message; }
}
init().catch((e) => { $('output').textContent = 'cannot reach the service: ' + e.message; });
