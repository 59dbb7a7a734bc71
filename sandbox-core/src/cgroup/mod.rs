//! TEMPORARY stub: replaced by the real v1/v2 implementation (branch `cgroup`).
use crate::error::Result;
use crate::policy::Limits;
use alloc::string::String;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mech {
    CgroupV1,
    CgroupV2,
    Rlimit,
    Supervisor,
    None,
}
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LimitKind {
    Memory,
    Pids,
    Cpus,
    Time,
}
pub struct RunCgroup;
impl RunCgroup {
    pub fn create(_root: &str, _run: &str, _l: &Limits) -> Result<RunCgroup> {
        Ok(RunCgroup)
    }
    pub fn from_dir(_dir: &str, _l: &Limits) -> Result<RunCgroup> {
        Ok(RunCgroup)
    }
    pub fn attach(&self, _pid: i32) -> Result<()> {
        Ok(())
    }
    pub fn kill_all(&self) {}
    pub fn remove(self) {}
    pub fn cpu_ns(&self) -> Option<u64> {
        None
    }
    pub fn peak_memory(&self) -> Option<u64> {
        None
    }
    pub fn oom_kills(&self) -> Option<u64> {
        None
    }
    pub fn pids_limit_hit(&self) -> bool {
        false
    }
    pub fn mechanism(&self, _k: LimitKind) -> Mech {
        Mech::Rlimit
    }
    pub fn primary_dir(&self) -> Option<String> {
        None
    }
}
