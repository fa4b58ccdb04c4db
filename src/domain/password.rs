// TEMPORARY STUB until the helper delivers the real policy.
#[derive(Debug)]
pub struct PasswordProblem(&'static str);
impl std::fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
pub fn check_password(c: &str) -> Result<(), PasswordProblem> {
    let n = c.chars().count();
    if n < 12 {
        return Err(PasswordProblem("must be at least 12 characters"));
    }
    if n > 128 {
        return Err(PasswordProblem("must be at most 128 characters"));
    }
    Ok(())
}
