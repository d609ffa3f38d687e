//! Characters to QEMU qcodes (a US keyboard layout, the image's default).
pub fn for_char(ch: char) -> Option<Vec<String>> {
    let plain = |k: &str| Some(vec![k.to_string()]);
    let shift = |k: &str| Some(vec!["shift".to_string(), k.to_string()]);
    match ch {
        'a'..='z' | '0'..='9' => plain(&ch.to_string()),
        'A'..='Z' => shift(&ch.to_ascii_lowercase().to_string()),
        ' ' => plain("spc"),
        '-' => plain("minus"),
        '_' => shift("minus"),
        '.' => plain("dot"),
        ',' => plain("comma"),
        '/' => plain("slash"),
        '=' => plain("equal"),
        '!' => shift("1"),
        '@' => shift("2"),
        '\n' => plain("ret"),
        _ => None,
    }
}
