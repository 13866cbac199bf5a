//! Manifest compiler: TOML in, either a valid model (which compiles to outputs) or an error
//! that names the file and, for manifest faults, a 1-based line/column inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = core::str::from_utf8(data) else {
        return;
    };
    match cohesix_manifest::compile_str(src, "fuzz.toml") {
        Ok(compiled) => {
            let again = cohesix_manifest::compile_str(src, "fuzz.toml").expect("deterministic");
            assert_eq!(again.manifest_sha256, compiled.manifest_sha256);
            assert_eq!(again.resolved_json, compiled.resolved_json);
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(
                shown.contains("fuzz.toml"),
                "error does not name the file: {shown}"
            );
            let _ = format!("{e:?}");
            assert!(
                e.is_invalid_manifest(),
                "pure text gave a non-manifest error: {shown}"
            );
            let (line, col) = e.position().expect("manifest errors carry a position");
            let lines = src.split('\n').count().max(1);
            assert!(
                line >= 1 && line <= lines,
                "line {line} outside 1..={lines}"
            );
            assert!(col >= 1);
            let width = src
                .split('\n')
                .nth(line - 1)
                .map_or(0, |l| l.chars().count());
            assert!(
                col <= width + 1,
                "column {col} outside line {line} of {width} chars"
            );
        }
    }
});
