//! ELF headers of the target: its kind (dynamic, static, static-pie), a DT_PREINIT_ARRAY,
//! and library search paths someone other than root could change.

use std::ffi::OsStr;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{read_full, Kind};

pub(super) struct Elf {
    pub(super) kind: Kind,
    pub(super) preinit: bool,
    pub(super) risky: Vec<String>,
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

pub(super) const PT_LOAD: u32 = 1;
pub(super) const PT_DYNAMIC: u32 = 2;
pub(super) const PT_INTERP: u32 = 3;
pub(super) const DT_NULL: u64 = 0;
pub(super) const DT_STRTAB: u64 = 5;
pub(super) const DT_RPATH: u64 = 15;
pub(super) const DT_RUNPATH: u64 = 29;
pub(super) const DT_PREINIT_ARRAY: u64 = 32;

pub(super) fn parse_elf(file: &File, hdr: &[u8]) -> Result<Elf, String> {
    match hdr.get(4) {
        Some(2) => {}
        Some(1) => {
            return Err(
                "32-bit binary cannot be run sandboxed (only x86-64 programs: the i386 system call ABI is blocked)"
                    .into(),
            )
        }
        _ => return Err("exec format error (unknown ELF class)".into()),
    }
    if hdr.len() < 64 {
        return Err("exec format error (truncated ELF header)".into());
    }
    let machine = u16_at(hdr, 18);
    if hdr[5] != 1 || machine != 62 {
        return Err(format!("not an x86-64 binary (ELF machine {machine}) cannot be run sandboxed"));
    }
    let etype = u16_at(hdr, 16);
    if etype != 2 && etype != 3 {
        return Err(format!("exec format error (ELF type {etype} is not an executable)"));
    }
    let (phoff, phentsize, phnum) = (u64_at(hdr, 32), u16_at(hdr, 54) as usize, u16_at(hdr, 56) as usize);
    // The kernel's own bounds (load_elf_phdrs): at least one entry, at most 64 KiB of them.
    if phentsize != 56 || phnum == 0 || phnum * 56 > 65536 {
        return Err("exec format error (bad program headers)".into());
    }
    let ph = read_exact_at(file, phnum * 56, phoff)?;

    let mut interp = None;
    let mut dynamic = None;
    let mut loads = Vec::new();
    for e in ph.chunks_exact(56) {
        let (off, vaddr, filesz) = (u64_at(e, 8), u64_at(e, 16), u64_at(e, 32));
        match u32_at(e, 0) {
            PT_INTERP => {
                if !(2..=4096).contains(&filesz) {
                    return Err("exec format error (bad PT_INTERP)".into());
                }
                let b = read_exact_at(file, filesz as usize, off)?;
                let s = b.split(|&c| c == 0).next().unwrap_or(&[]);
                interp = Some(PathBuf::from(OsStr::from_bytes(s)));
            }
            PT_DYNAMIC => dynamic = Some((off, filesz)),
            PT_LOAD => loads.push((vaddr, off, filesz)),
            _ => {}
        }
    }

    let mut preinit = false;
    let mut risky = Vec::new();
    if let Some((off, size)) = dynamic {
        let dynsec = read_exact_at(file, size.min(1 << 20) as usize, off)?;
        let mut strtab = None;
        let mut paths = Vec::new();
        for d in dynsec.chunks_exact(16) {
            let (tag, val) = (u64_at(d, 0), u64_at(d, 8));
            match tag {
                DT_NULL => break,
                DT_STRTAB => strtab = Some(val),
                DT_RPATH | DT_RUNPATH => paths.push(val),
                DT_PREINIT_ARRAY => preinit = true,
                _ => {}
            }
        }
        if !paths.is_empty() {
            // DT_STRTAB is an address: map it to a file offset through the PT_LOAD segments.
            let base = strtab
                .and_then(|a| {
                    loads.iter().find(|(v, _, sz)| a >= *v && a - v < *sz).and_then(|(v, o, _)| o.checked_add(a - v))
                })
                .ok_or("exec format error (DT_STRTAB outside the file)")?;
            for p in paths {
                // Offsets are the file's word: an absurd one must not overflow (found by fuzzing).
                let at = base.checked_add(p).ok_or("exec format error (DT_RPATH/DT_RUNPATH outside the file)")?;
                let s = read_cstr(file, at)?;
                risky.extend(s.split(':').filter(|e| risky_dir(e)).map(str::to_string));
            }
        }
    }
    let kind = match interp {
        Some(i) => {
            if risky_dir(&i.to_string_lossy()) {
                risky.push(i.to_string_lossy().into_owned());
            }
            Kind::Dynamic { interp: i }
        }
        None if etype == 2 => Kind::Static,
        None => Kind::StaticPie,
    };
    Ok(Elf { kind, preinit, risky })
}

fn read_cstr(file: &File, off: u64) -> Result<String, String> {
    let mut buf = vec![0u8; 4096];
    let n = read_full(file, &mut buf, off).map_err(|e| e.to_string())?;
    let s = buf[..n].split(|&c| c == 0).next().unwrap_or(&[]);
    Ok(String::from_utf8_lossy(s).into_owned())
}

/// A library search directory someone other than root could fill: relative (to the cwd),
/// `$ORIGIN` or any other `$` token, or a path with a non-root or group/world-writable
/// directory on the way (the first existing ancestor decides for paths that do not exist).
fn risky_dir(entry: &str) -> bool {
    if entry.is_empty() || entry.contains('$') || !entry.starts_with('/') {
        return true;
    }
    let mut p = Path::new(entry);
    while std::fs::symlink_metadata(p).is_err() {
        match p.parent() {
            Some(parent) => p = parent,
            None => return true,
        }
    }
    let Ok(real) = std::fs::canonicalize(p) else {
        return true;
    };
    !real.ancestors().all(|a| std::fs::metadata(a).is_ok_and(|m| m.uid() == 0 && m.mode() & 0o022 == 0))
}

fn read_exact_at(file: &File, len: usize, offset: u64) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; len];
    match read_full(file, &mut buf, offset) {
        Ok(n) if n == len => Ok(buf),
        Ok(_) => Err("truncated ELF file".into()),
        Err(e) => Err(e.to_string()),
    }
}
