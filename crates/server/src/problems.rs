//! What `serve` and `portico config check` say about a config: a leaf
//! module, so every module that checks a section (config, mail) can name
//! it without importing another.

/// One thing wrong with a config file: the key it is about, as a path
/// (`tokens.access_token_ttl_secs`, `clients[2].redirect_uris`), and why.
/// `serve` and `portico config check` say the same words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl Problem {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.key, self.message)
        }
    }
}
