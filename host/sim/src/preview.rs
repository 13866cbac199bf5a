//! The lossy, bounded `data=` preview of a CAT acknowledgement (spec §3.4).

/// Budget of the whole `path=<p> data=<preview>` detail.
pub const DETAIL_BUDGET: usize = 128;
/// Longest single line taken into the preview.
pub const PREVIEW_LINE_MAX: usize = 64;
/// Total characters gathered before the final cut.
pub const PREVIEW_TOTAL_MAX: usize = 128;

fn cut(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Builds the preview for `path` whose file lines are `lines`.
pub fn cat_preview(path: &str, lines: &[String]) -> String {
    let budget = DETAIL_BUDGET.saturating_sub("path=".len() + path.len() + " data=".len());
    let cas = path.starts_with("/updates/") || path.starts_with("/models/");
    if let Some(first) = lines.first().filter(|l| cas && l.starts_with("b64:")) {
        return cut(first, budget).to_string();
    }
    let non_blank: Vec<&str> = lines
        .iter()
        .map(|l| l.trim_end())
        .filter(|l| !l.trim().is_empty())
        .collect();
    let preferred: Vec<&str> = non_blank
        .iter()
        .copied()
        .filter(|l| !l.starts_with('['))
        .collect();
    let pool = if preferred.is_empty() {
        non_blank
    } else {
        preferred
    };
    let mut chosen: Vec<&str> = Vec::new();
    let mut total = 0usize;
    for line in pool.iter().rev() {
        let piece = cut(line, PREVIEW_LINE_MAX);
        let add = piece.chars().count() + usize::from(!chosen.is_empty());
        if total + add > PREVIEW_TOTAL_MAX {
            break;
        }
        total += add;
        chosen.push(piece);
    }
    chosen.reverse();
    cut(&chosen.join("|"), budget).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn prefers_user_lines_in_file_order() {
        let lines = v(&[
            "[INFO boot] up",
            "batch-1",
            "[INFO x] y",
            "batch-2",
            "batch-3",
        ]);
        assert_eq!(
            cat_preview("/log/queen.log", &lines),
            "batch-1|batch-2|batch-3"
        );
    }

    #[test]
    fn bounded_by_detail_budget() {
        let lines: Vec<String> = (0..20)
            .map(|i| format!("line-{i:02}-{}", "x".repeat(20)))
            .collect();
        let p = cat_preview("/log/queen.log", &lines);
        assert!(p.len() <= DETAIL_BUDGET - 5 - 14 - 6);
        assert!(p.ends_with("xxx") || p.contains('|'));
        assert!(p.starts_with("line-"));
    }

    #[test]
    fn cas_first_line_and_fallback_to_bracket_lines() {
        let lines = v(&["b64:QUFB", "b64:QkJC"]);
        assert_eq!(cat_preview("/updates/1/chunks/x", &lines), "b64:QUFB");
        assert_eq!(cat_preview("/proc/x", &v(&["[a]", "", "[b]"])), "[a]|[b]");
        assert_eq!(cat_preview("/proc/x", &[]), "");
    }
}
