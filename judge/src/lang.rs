//! The eight languages: the file a submission is saved as, how it is compiled (under
//! `--profile compile`) and how it is run (under `--profile judge`). These are exactly the
//! commands of README "Judging" and tests/tests/languages.rs, with the runtimes at the /usr
//! paths the jail shows.

pub struct Lang {
    pub id: &'static str,
    pub name: &'static str,
    pub file: &'static str,
    pub compile: Option<&'static [&'static str]>,
    pub run: &'static [&'static str],
    /// Host paths bound read-only into the jail for this language (when they exist).
    pub ro_binds: &'static [&'static str],
}

pub const LANGS: &[Lang] = &[
    Lang {
        id: "c",
        name: "C (gcc)",
        file: "sol.c",
        compile: Some(&["/usr/bin/gcc", "-O2", "-o", "sol", "sol.c", "-lm"]),
        run: &["./sol"],
        ro_binds: &[],
    },
    Lang {
        id: "cpp",
        name: "C++ (g++)",
        file: "sol.cpp",
        compile: Some(&["/usr/bin/g++", "-O2", "-pthread", "-o", "sol", "sol.cpp"]),
        run: &["./sol"],
        ro_binds: &[],
    },
    Lang {
        id: "python",
        name: "Python 3",
        file: "sol.py",
        compile: None,
        run: &["/usr/bin/python3", "sol.py"],
        ro_binds: &[],
    },
    Lang {
        id: "java",
        name: "Java 17 (class Main)",
        file: "Main.java",
        compile: Some(&["/usr/bin/javac", "-d", ".", "Main.java"]),
        run: &["/usr/bin/java", "-cp", ".", "Main"],
        // The jail shows /etc/java-* (what Debian links from /usr/lib/jvm): nothing to add.
        ro_binds: &[],
    },
    Lang {
        id: "node",
        name: "Node.js",
        file: "sol.js",
        compile: None,
        run: &["/usr/bin/node", "sol.js"],
        ro_binds: &[],
    },
    Lang {
        id: "go",
        name: "Go",
        file: "sol.go",
        // The build cache goes to $HOME/.cache, which the sandbox sets to the work dir.
        compile: Some(&["/usr/bin/go", "build", "-o", "sol", "sol.go"]),
        run: &["./sol"],
        ro_binds: &[],
    },
    Lang {
        id: "rust",
        name: "Rust",
        file: "sol.rs",
        compile: Some(&["/usr/bin/rustc", "-O", "-o", "sol", "sol.rs"]),
        run: &["./sol"],
        ro_binds: &[],
    },
    Lang { id: "ruby", name: "Ruby", file: "sol.rb", compile: None, run: &["/usr/bin/ruby", "sol.rb"], ro_binds: &[] },
];

pub fn find(id: &str) -> Option<&'static Lang> {
    LANGS.iter().find(|l| l.id == id)
}
