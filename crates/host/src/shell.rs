//! Just enough of a POSIX shell to find the commands in a command line: word splitting with
//! quotes and escapes, pipelines and lists (`|`, `&&`, `||`, `;`, `&`, newlines), redirections
//! (their targets are kept: `>> /etc/crontab` is a write), here-documents (their text is kept as
//! the command's standard input), command substitutions (`$(...)`, backticks; parsed as
//! commands of their own), `sh -c '...'` and wrappers (`sudo`, `env`, `nohup`, `timeout`, ...)
//! unwrapped. Nothing is expanded or run. Input size and nesting are bounded.

use crate::event::basename;

/// Longest script parsed; the rest is ignored (a command line this long is itself unusual).
const MAX_SCRIPT_BYTES: usize = 256 * 1024;
/// Deepest nesting of `sh -c` and `$(...)` followed.
const MAX_DEPTH: usize = 6;
/// Most commands returned for one command line.
const MAX_COMMANDS: usize = 512;

/// One simple command found in a command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimpleCommand {
    /// The words, wrappers (`sudo`, `env`, ...) and leading `VAR=value` assignments removed.
    pub argv: Vec<String>,
    /// `VAR=value` assignments that preceded the command (or were given to `env`).
    pub assignments: Vec<String>,
    /// Files the command's output is redirected to (`>`, `>>`, `&>`; `tee` arguments too).
    pub writes_to: Vec<String>,
    /// Here-document or here-string text given as standard input.
    pub stdin_text: Option<String>,
    /// The command before it in a pipeline (`cat cj.yaml | kubectl apply -f -`), as text.
    pub piped_from: Option<String>,
}

/// Split one command's text into words, quotes removed, without looking for operators (for
/// producers that give a process's command line rather than its argv).
pub fn split_words(text: &str) -> Vec<String> {
    let text = truncate(text);
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    cur.push(d);
                }
            }
            '"' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => match chars.peek() {
                            Some(&e @ ('"' | '\\' | '$' | '`')) => {
                                cur.push(e);
                                chars.next();
                            }
                            _ => cur.push('\\'),
                        },
                        d => cur.push(d),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(d) = chars.next() {
                    cur.push(d);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Parse a command line (a shell script) into its simple commands, in order, following
/// `sh -c`, `$(...)` and wrappers.
pub fn parse_script(text: &str) -> Vec<SimpleCommand> {
    let mut out = Vec::new();
    parse_into(truncate(text), 0, &mut out);
    out
}

/// The simple commands an argv runs: itself (wrappers removed) and, for shells given `-c`,
/// what the script runs.
pub fn commands_of_argv(argv: &[String]) -> Vec<SimpleCommand> {
    let mut out = Vec::new();
    let cmd = SimpleCommand {
        argv: argv.to_vec(),
        ..SimpleCommand::default()
    };
    finish_command(cmd, 0, &mut out);
    out
}

fn truncate(text: &str) -> &str {
    if text.len() <= MAX_SCRIPT_BYTES {
        return text;
    }
    let mut end = MAX_SCRIPT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

#[derive(Debug)]
enum Token {
    Word(String),
    /// `|` (pipe to the next command) or another list separator.
    Sep {
        pipe: bool,
    },
    Redirect {
        write: bool,
        target: String,
    },
    HereString(String),
    HereDoc,
    Newline,
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    text: &'a str,
    substitutions: Vec<String>,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.char_indices().peekable(),
            text,
            substitutions: Vec::new(),
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().map(|(_, c)| *c)
    }

    fn bump(&mut self) -> Option<char> {
        self.chars.next().map(|(_, c)| c)
    }

    /// Copy a `$(...)` body (the `$(` already consumed) verbatim, nesting and quotes respected.
    fn substitution(&mut self, cur: &mut String) {
        let mut depth = 1usize;
        let mut inner = String::new();
        while let Some(c) = self.bump() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                '\'' => {
                    inner.push(c);
                    cur.push(c);
                    while let Some(d) = self.bump() {
                        inner.push(d);
                        cur.push(d);
                        if d == '\'' {
                            break;
                        }
                    }
                    continue;
                }
                _ => {}
            }
            inner.push(c);
            cur.push(c);
        }
        cur.push(')');
        self.substitutions.push(inner);
    }

    fn backtick(&mut self, cur: &mut String) {
        let mut inner = String::new();
        while let Some(c) = self.bump() {
            cur.push(c);
            if c == '`' {
                break;
            }
            inner.push(c);
        }
        self.substitutions.push(inner);
    }

    /// Read one word starting at the current character (which is not blank or an operator).
    fn word(&mut self) -> String {
        let mut cur = String::new();
        while let Some(c) = self.peek() {
            match c {
                c if c.is_whitespace() => break,
                '|' | '&' | ';' | '<' | '>' | '(' | ')' => break,
                '\'' => {
                    self.bump();
                    while let Some(d) = self.bump() {
                        if d == '\'' {
                            break;
                        }
                        cur.push(d);
                    }
                }
                '"' => {
                    self.bump();
                    while let Some(d) = self.bump() {
                        match d {
                            '"' => break,
                            '\\' => match self.peek() {
                                Some(e @ ('"' | '\\' | '$' | '`')) => {
                                    cur.push(e);
                                    self.bump();
                                }
                                Some('\n') => {
                                    self.bump();
                                }
                                _ => cur.push('\\'),
                            },
                            '$' if self.peek() == Some('(') => {
                                self.bump();
                                cur.push_str("$(");
                                self.substitution(&mut cur);
                            }
                            '`' => {
                                cur.push('`');
                                self.backtick(&mut cur);
                            }
                            d => cur.push(d),
                        }
                    }
                }
                '\\' => {
                    self.bump();
                    match self.bump() {
                        Some('\n') | None => {}
                        Some(d) => cur.push(d),
                    }
                }
                '$' => {
                    self.bump();
                    cur.push('$');
                    if self.peek() == Some('(') {
                        self.bump();
                        cur.push('(');
                        self.substitution(&mut cur);
                    }
                }
                '`' => {
                    self.bump();
                    cur.push('`');
                    self.backtick(&mut cur);
                }
                c => {
                    self.bump();
                    cur.push(c);
                }
            }
        }
        cur
    }

    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek() {
            if c == ' ' || c == '\t' || c == '\r' {
                self.bump();
            } else {
                break;
            }
        }
    }

    /// The rest of the current line (for here-documents), newline consumed.
    fn line(&mut self) -> Option<&'a str> {
        let (start, _) = *self.chars.peek()?;
        let mut end = self.text.len();
        for (i, c) in self.chars.by_ref() {
            if c == '\n' {
                end = i;
                break;
            }
        }
        self.text.get(start..end)
    }

    fn tokens(&mut self) -> Vec<Token> {
        let mut tokens = Vec::new();
        let mut pending_heredocs: Vec<(String, bool)> = Vec::new();
        while let Some(c) = self.peek() {
            match c {
                '\n' => {
                    self.bump();
                    tokens.push(Token::Newline);
                    // Here-document bodies start on the next line.
                    for (delimiter, strip_tabs) in pending_heredocs.drain(..) {
                        let mut body = String::new();
                        while let Some(line) = self.line() {
                            let cmp = if strip_tabs {
                                line.trim_start_matches('\t')
                            } else {
                                line
                            };
                            if cmp.trim_end() == delimiter {
                                break;
                            }
                            body.push_str(line);
                            body.push('\n');
                        }
                        tokens.push(Token::HereString(body));
                    }
                }
                c if c.is_whitespace() => {
                    self.bump();
                }
                '#' => {
                    // A comment runs to the end of the line.
                    while let Some(d) = self.peek() {
                        if d == '\n' {
                            break;
                        }
                        self.bump();
                    }
                }
                '|' => {
                    self.bump();
                    let pipe = match self.peek() {
                        Some('|') => {
                            self.bump();
                            false
                        }
                        Some('&') => {
                            self.bump();
                            true
                        }
                        _ => true,
                    };
                    tokens.push(Token::Sep { pipe });
                }
                ';' | '(' | ')' => {
                    self.bump();
                    while self.peek() == Some(';') {
                        self.bump();
                    }
                    tokens.push(Token::Sep { pipe: false });
                }
                '&' => {
                    self.bump();
                    match self.peek() {
                        Some('&') => {
                            self.bump();
                            tokens.push(Token::Sep { pipe: false });
                        }
                        Some('>') => {
                            self.bump();
                            if self.peek() == Some('>') {
                                self.bump();
                            }
                            self.skip_blanks();
                            let target = self.word();
                            tokens.push(Token::Redirect {
                                write: true,
                                target,
                            });
                        }
                        _ => tokens.push(Token::Sep { pipe: false }),
                    }
                }
                '>' | '<' => {
                    // A number right before the operator is a file descriptor, not an argument.
                    if let Some(Token::Word(w)) = tokens.last()
                        && !w.is_empty()
                        && w.len() <= 2
                        && w.bytes().all(|b| b.is_ascii_digit())
                    {
                        let glued = self
                            .text
                            .get(..self.chars.peek().map_or(0, |p| p.0))
                            .is_some_and(|before| before.ends_with(w.as_str()));
                        if glued {
                            tokens.pop();
                        }
                    }
                    self.bump();
                    let write = c == '>';
                    if !write && self.peek() == Some('<') {
                        self.bump();
                        if self.peek() == Some('<') {
                            self.bump();
                            self.skip_blanks();
                            let text = self.word();
                            tokens.push(Token::HereString(text));
                            continue;
                        }
                        let strip_tabs = self.peek() == Some('-');
                        if strip_tabs {
                            self.bump();
                        }
                        self.skip_blanks();
                        let delimiter = self.word();
                        pending_heredocs.push((delimiter, strip_tabs));
                        tokens.push(Token::HereDoc);
                        continue;
                    }
                    if matches!(self.peek(), Some('>' | '|' | '&')) {
                        self.bump();
                    }
                    self.skip_blanks();
                    let target = self.word();
                    // `2>&1`: a descriptor, not a file.
                    let is_fd = target.bytes().all(|b| b.is_ascii_digit() || b == b'-');
                    if !is_fd {
                        tokens.push(Token::Redirect { write, target });
                    }
                }
                _ => {
                    let w = self.word();
                    tokens.push(Token::Word(w));
                }
            }
        }
        tokens
    }
}

fn parse_into(text: &str, depth: usize, out: &mut Vec<SimpleCommand>) {
    if depth > MAX_DEPTH || out.len() >= MAX_COMMANDS {
        return;
    }
    let mut lexer = Lexer::new(text);
    let tokens = lexer.tokens();
    let substitutions = std::mem::take(&mut lexer.substitutions);

    let mut commands: Vec<SimpleCommand> = Vec::new();
    let mut cur = SimpleCommand::default();
    let mut cur_text: Vec<String> = Vec::new();
    let mut heredoc_owner: Vec<usize> = Vec::new();
    let mut pipe_from: Option<String> = None;
    let flush = |cur: &mut SimpleCommand,
                 cur_text: &mut Vec<String>,
                 commands: &mut Vec<SimpleCommand>,
                 pipe_from: &mut Option<String>,
                 pipe: bool| {
        let text = cur_text.join(" ");
        let before = pipe_from.take();
        if !cur.argv.is_empty() || !cur.writes_to.is_empty() {
            let mut done = std::mem::take(cur);
            done.piped_from = before.clone();
            commands.push(done);
        } else {
            *cur = SimpleCommand::default();
        }
        cur_text.clear();
        // The whole pipeline so far feeds the next command.
        *pipe_from = pipe.then(|| match before {
            Some(b) => format!("{b} | {text}"),
            None => text,
        });
    };
    for token in tokens {
        match token {
            Token::Word(w) => {
                cur_text.push(quote(&w));
                cur.argv.push(w);
            }
            Token::Redirect { write, target } => {
                if write {
                    cur.writes_to.push(target);
                }
            }
            Token::HereString(text) => {
                // A here-string belongs to the current command; a here-document body (which
                // arrives after the newline) to the command that announced it.
                match heredoc_owner.pop() {
                    Some(i) => {
                        if let Some(cmd) = commands.get_mut(i) {
                            cmd.stdin_text = Some(text);
                        }
                    }
                    None => cur.stdin_text = Some(text),
                }
            }
            Token::HereDoc => {
                // The body arrives after the newline; the command is flushed by then.
                heredoc_owner.insert(0, commands.len());
            }
            Token::Sep { pipe } => {
                flush(&mut cur, &mut cur_text, &mut commands, &mut pipe_from, pipe)
            }
            Token::Newline => flush(
                &mut cur,
                &mut cur_text,
                &mut commands,
                &mut pipe_from,
                false,
            ),
        }
    }
    flush(
        &mut cur,
        &mut cur_text,
        &mut commands,
        &mut pipe_from,
        false,
    );

    for cmd in commands {
        finish_command(cmd, depth, out);
    }
    for sub in substitutions {
        parse_into(&sub, depth + 1, out);
    }
}

/// Quote a word so that the pipeline text can be split again.
fn quote(word: &str) -> String {
    if !word.is_empty()
        && !word
            .chars()
            .any(|c| c.is_whitespace() || "'\"\\$`;&|<>()".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ash", "ksh", "mksh", "busybox"];

/// Remove wrappers and assignments; follow `sh -c`; push the result.
fn finish_command(mut cmd: SimpleCommand, depth: usize, out: &mut Vec<SimpleCommand>) {
    if out.len() >= MAX_COMMANDS {
        return;
    }
    unwrap_wrappers(&mut cmd);
    let Some(first) = cmd.argv.first() else {
        if !cmd.writes_to.is_empty() {
            out.push(cmd);
        }
        return;
    };
    let name = basename(first).to_ascii_lowercase();
    if name == "tee" {
        cmd.writes_to.extend(
            cmd.argv
                .iter()
                .skip(1)
                .filter(|a| !a.starts_with('-'))
                .cloned(),
        );
    }
    if (SHELLS.contains(&name.as_str()) || name == "su" || name == "runuser" || name == "eval")
        && let Some(script) = shell_script(&cmd.argv, &name)
    {
        let script = script.to_string();
        out.push(cmd);
        parse_into(&script, depth + 1, out);
        return;
    }
    if name == "watch" {
        // `watch [-n N] cmd args`: runs its arguments through `sh -c`.
        let mut i = 1;
        while let Some(a) = cmd.argv.get(i) {
            if a == "-n" || a == "--interval" {
                i += 2;
            } else if a.starts_with('-') {
                i += 1;
            } else {
                break;
            }
        }
        let script = cmd.argv.get(i..).unwrap_or_default().join(" ");
        out.push(cmd);
        parse_into(&script, depth + 1, out);
        return;
    }
    out.push(cmd);
}

/// The script a shell (or `su -c`, `eval`) runs, if any.
fn shell_script<'a>(argv: &'a [String], name: &str) -> Option<&'a str> {
    if name == "eval" {
        return argv.get(1).map(String::as_str);
    }
    let mut i = 1;
    if name == "busybox" {
        // `busybox sh -c ...`
        let applet = argv.get(1)?;
        if !SHELLS.contains(&basename(applet)) {
            return None;
        }
        i = 2;
    }
    let mut wants_script = false;
    while let Some(arg) = argv.get(i) {
        if arg == "--" {
            i += 1;
            continue;
        }
        if arg == "--command"
            || (arg.starts_with('-') && !arg.starts_with("--") && arg.contains('c'))
        {
            wants_script = true;
            i += 1;
            continue;
        }
        if arg.starts_with('-') || arg == "+x" {
            // `-o option` takes a value.
            if arg == "-o" || arg == "+o" {
                i += 1;
            }
            i += 1;
            continue;
        }
        if wants_script {
            return Some(arg.as_str());
        }
        if name == "su" || name == "runuser" {
            // `su - user -c '...'`: the user name comes before -c.
            i += 1;
            continue;
        }
        return None;
    }
    None
}

/// Strip `VAR=value` assignments and wrappers that run their arguments as a command.
fn unwrap_wrappers(cmd: &mut SimpleCommand) {
    for _ in 0..8 {
        let mut skip = 0;
        while let Some(word) = cmd.argv.get(skip) {
            if is_assignment(word) {
                cmd.assignments.push(word.clone());
                skip += 1;
            } else {
                break;
            }
        }
        let Some(first) = cmd.argv.get(skip) else {
            cmd.argv.drain(..skip);
            return;
        };
        let name = basename(first).to_string();
        let rest_at = match name.as_str() {
            // Reserved words that may start a command in a compound command.
            "do" | "then" | "else" | "elif" | "if" | "while" | "until" | "!" | "{" | "}" => {
                skip + 1
            }
            "sudo" | "doas" => skip_options(
                &cmd.argv,
                skip + 1,
                &[
                    "-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U", "--user", "--group",
                ],
                true,
            ),
            "env" => {
                let mut i = skip_options(
                    &cmd.argv,
                    skip + 1,
                    &["-u", "--unset", "-C", "--chdir", "-S"],
                    true,
                );
                while let Some(w) = cmd.argv.get(i) {
                    if is_assignment(w) {
                        cmd.assignments.push(w.clone());
                        i += 1;
                    } else {
                        break;
                    }
                }
                i
            }
            "nohup" | "exec" | "command" | "builtin" | "time" | "setsid" => {
                skip_options(&cmd.argv, skip + 1, &["-a"], true)
            }
            "nice" | "ionice" | "stdbuf" | "unbuffer" | "strace" | "ltrace" => skip_options(
                &cmd.argv,
                skip + 1,
                &["-n", "-c", "-o", "-e", "-i", "-p"],
                true,
            ),
            "timeout" => {
                let i = skip_options(
                    &cmd.argv,
                    skip + 1,
                    &["-s", "--signal", "-k", "--kill-after"],
                    true,
                );
                // The duration.
                i + 1
            }
            "xargs" => skip_options(
                &cmd.argv,
                skip + 1,
                &["-I", "-n", "-P", "-L", "-d", "-a", "-E", "-s"],
                false,
            ),
            _ => {
                cmd.argv.drain(..skip);
                return;
            }
        };
        let end = rest_at.min(cmd.argv.len());
        cmd.argv.drain(..end);
    }
}

/// The index of the first non-option word from `from`, skipping options (and the values of
/// those listed in `with_value`). With `double_dash`, `--` ends the options.
fn skip_options(argv: &[String], from: usize, with_value: &[&str], double_dash: bool) -> usize {
    let mut i = from;
    while let Some(a) = argv.get(i) {
        if double_dash && a == "--" {
            return i + 1;
        }
        if !a.starts_with('-') || a == "-" {
            return i;
        }
        if with_value.contains(&a.as_str()) {
            i += 2;
        } else {
            i += 1;
        }
    }
    i
}

fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argvs(text: &str) -> Vec<Vec<String>> {
        parse_script(text).into_iter().map(|c| c.argv).collect()
    }

    #[test]
    fn words_quotes_and_escapes() {
        assert_eq!(
            split_words(r#"kubectl create job x --image="busy box" -- sh -c 'echo hi; id' a\ b"#),
            [
                "kubectl",
                "create",
                "job",
                "x",
                "--image=busy box",
                "--",
                "sh",
                "-c",
                "echo hi; id",
                "a b"
            ]
        );
    }

    #[test]
    fn lists_pipelines_and_sh_c() {
        let got = argvs(
            "cd /tmp && sudo -u root kubectl get jobs -A | grep x; bash -lc \"kubectl apply -f -\"",
        );
        assert!(got.contains(&vec![
            "kubectl".into(),
            "get".into(),
            "jobs".into(),
            "-A".into()
        ]));
        assert!(got.contains(&vec![
            "kubectl".into(),
            "apply".into(),
            "-f".into(),
            "-".into()
        ]));
        assert!(got.contains(&vec!["grep".into(), "x".into()]));
    }

    #[test]
    fn pipes_record_their_source_and_heredocs_their_text() {
        let cmds = parse_script(
            "kubectl create job x --image=a --dry-run=client -o yaml | kubectl create -f -",
        );
        assert_eq!(cmds.len(), 2);
        assert!(
            cmds[1]
                .piped_from
                .as_deref()
                .is_some_and(|t| t.contains("--dry-run=client"))
        );
        let cmds = parse_script(
            "kubectl apply -f - <<EOF\nkind: CronJob\nmetadata:\n  name: x\nEOF\necho done",
        );
        assert_eq!(cmds[0].argv[0], "kubectl");
        assert!(
            cmds[0]
                .stdin_text
                .as_deref()
                .is_some_and(|t| t.contains("kind: CronJob"))
        );
        assert_eq!(cmds[1].argv, ["echo", "done"]);
    }

    #[test]
    fn substitutions_redirects_and_assignments() {
        let cmds = parse_script(
            "TOKEN=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token) curl -k -H \"Authorization: Bearer $TOKEN\" https://kubernetes.default.svc/apis 2>&1 > /tmp/out",
        );
        assert_eq!(cmds[0].argv[0], "curl");
        assert_eq!(cmds[0].assignments.len(), 1);
        assert_eq!(cmds[0].writes_to, ["/tmp/out"]);
        assert!(
            cmds.iter()
                .any(|c| c.argv == ["cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"])
        );
        let cmds = parse_script("echo '* * * * * root sh /tmp/x' >> /etc/crontab");
        assert_eq!(cmds[0].writes_to, ["/etc/crontab"]);
        let cmds = parse_script("echo x | tee -a /etc/cron.d/evil");
        assert_eq!(cmds[1].writes_to, ["/etc/cron.d/evil"]);
    }

    #[test]
    fn wrappers_are_removed() {
        for line in [
            "env KUBECONFIG=/x kubectl get cj",
            "timeout 10 kubectl get cj",
            "nohup kubectl get cj &",
            "sudo -E kubectl get cj",
            "exec kubectl get cj",
            "watch -n 5 kubectl get cj",
        ] {
            assert!(
                argvs(line)
                    .iter()
                    .any(|a| a.first().map(String::as_str) == Some("kubectl")),
                "{line}"
            );
        }
    }

    #[test]
    fn unterminated_input_does_not_hang_or_panic() {
        for text in [
            "'abc",
            "\"abc",
            "$(abc",
            "`abc",
            "a <<",
            "a >",
            "\\",
            "a | | b ;;",
            "<<EOF\n",
        ] {
            let _ = parse_script(text);
            let _ = split_words(text);
        }
    }
}
