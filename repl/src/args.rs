//! A small argument parser: `--flag value` pairs and positionals, with clear errors.

/// Parsed arguments.
#[derive(Clone, Debug, Default)]
pub struct Args {
    /// Positional arguments in order.
    pub positional: Vec<String>,
    /// `--name value` pairs (and `-e value`).
    pub options: Vec<(String, String)>,
    /// `--name` switches that take no value.
    pub flags: Vec<String>,
}

impl Args {
    /// Parse `argv`; `valued` lists the options that take a value.
    pub fn parse(argv: &[String], valued: &[&str]) -> Result<Args, String> {
        Args::parse_with_flags(argv, valued, &[])
    }

    /// [`Args::parse`], also accepting the switches in `flags` (no value).
    pub fn parse_with_flags(
        argv: &[String],
        valued: &[&str],
        flags: &[&str],
    ) -> Result<Args, String> {
        let mut switches = Vec::new();
        let mut positional = Vec::new();
        let mut options = Vec::new();
        let mut it = argv.iter();
        while let Some(a) = it.next() {
            if let Some(name) = a
                .strip_prefix("--")
                .or_else(|| a.strip_prefix('-').filter(|n| n.len() == 1))
            {
                let (name, inline) = match name.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (name, None),
                };
                if inline.is_none() && flags.contains(&name) {
                    switches.push(name.to_string());
                    continue;
                }
                if !valued.contains(&name) {
                    return Err(format!("unknown option `{a}`"));
                }
                let value = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| format!("`{a}` needs a value"))?,
                };
                options.push((name.to_string(), value));
            } else {
                positional.push(a.clone());
            }
        }
        Ok(Args {
            positional,
            options,
            flags: switches,
        })
    }

    /// True when the switch `name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }

    /// The last value given for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}
