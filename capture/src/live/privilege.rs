//! Dropping root after the capture device is open, as tcpdump's `-Z` does:
//! the packet socket and its ring stay usable, and nothing else the process
//! does runs as root.

/// The user a capture started as root switches to unless told otherwise.
pub const DEFAULT_USER: &str = "nobody";

/// Why privileges could not be dropped.
#[derive(Debug, thiserror::Error)]
pub enum PrivilegeError {
    #[error("there is no user named {0} to switch to (give another with --user NAME)")]
    NoSuchUser(String),
    #[error("switching to user {user} failed at {step}: {source}")]
    Switch {
        user: String,
        step: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("after switching to user {0} the process could become root again")]
    StillRoot(String),
}

/// Started as root (effective uid 0), switches the whole process (all its
/// threads: glibc's set*id calls are process-wide) to `user`'s uid, primary
/// gid and no supplementary groups, then checks that root cannot be regained.
/// Returns the uid switched to, or `None` when not running as root (nothing
/// to drop: a capability-granted binary keeps only its capabilities).
#[cfg(target_os = "linux")]
pub fn drop_privileges(user: &str) -> Result<Option<u32>, PrivilegeError> {
    use std::ffi::CString;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = CString::new(user).map_err(|_| PrivilegeError::NoSuchUser(user.to_owned()))?;
    // SAFETY: `pwd` and `buf` outlive the call; getpwnam_r writes only into them.
    let (uid, gid) = unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 16 * 1024];
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwnam_r(
            name.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut found,
        );
        if rc != 0 || found.is_null() {
            return Err(PrivilegeError::NoSuchUser(user.to_owned()));
        }
        (pwd.pw_uid, pwd.pw_gid)
    };
    let fail = |step| PrivilegeError::Switch {
        user: user.to_owned(),
        step,
        source: std::io::Error::last_os_error(),
    };
    // SAFETY: plain system calls on integers and a one-element array.
    unsafe {
        if libc::setgroups(1, &gid) != 0 {
            return Err(fail("setgroups"));
        }
        if libc::setresgid(gid, gid, gid) != 0 {
            return Err(fail("setgid"));
        }
        if libc::setresuid(uid, uid, uid) != 0 {
            return Err(fail("setuid"));
        }
        if uid != 0 && (libc::setuid(0) == 0 || libc::geteuid() == 0) {
            return Err(PrivilegeError::StillRoot(user.to_owned()));
        }
    }
    Ok(Some(uid))
}

/// Elsewhere there is nothing to drop.
#[cfg(not(target_os = "linux"))]
pub fn drop_privileges(_user: &str) -> Result<Option<u32>, PrivilegeError> {
    Ok(None)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_user_is_named() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            // Not root: nothing to drop, whoever is named.
            assert_eq!(drop_privileges("synack-no-such-user").unwrap(), None);
            return;
        }
        let e = drop_privileges("synack-no-such-user").unwrap_err();
        assert!(e.to_string().contains("synack-no-such-user"), "{e}");
    }
}
