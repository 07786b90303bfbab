//! Gives libcachekit.so an ELF SONAME, so programs record the ABI they were linked against:
//! `libcachekit.so.MAJOR`, or `libcachekit.so.0.MINOR` while the major version is 0 (where a
//! minor release may break the ABI). ffi-c/install.sh installs the matching symlinks.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        let major = env!("CARGO_PKG_VERSION_MAJOR");
        let soname = if major == "0" {
            format!("libcachekit.so.0.{}", env!("CARGO_PKG_VERSION_MINOR"))
        } else {
            format!("libcachekit.so.{major}")
        };
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
