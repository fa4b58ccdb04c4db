//! The built-in personal-data detectors of SPEC §6, all severity `warn`:
//! `id_card`, `mobile`, `bank_card`, `email`. They read the folded text
//! (full-width digits count), and a digit run longer than the pattern is
//! no match: a 19-digit number holds no 11-digit mobile.

use chrono::NaiveDate;

use super::text::Folded;

/// A hit: the rule and the folded byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub rule: &'static str,
    pub from: usize,
    pub to: usize,
}

pub const RULES: [&str; 4] = ["id_card", "mobile", "bank_card", "email"];

/// Every detector hit in `folded` (folded with separators kept).
pub fn detect(folded: &Folded) -> Vec<Hit> {
    let text = folded.text.as_bytes();
    let mut hits = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if !text[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < text.len() && text[i].is_ascii_digit() {
            i += 1;
        }
        // An ID's check character may be X (folded to x).
        let end = if i - start == 17 && text.get(i) == Some(&b'x') {
            i + 1
        } else {
            i
        };
        let next_is_word = text.get(end).is_some_and(|b| b.is_ascii_alphanumeric());
        let prev_is_word = start > 0 && text[start - 1].is_ascii_alphanumeric();
        if !(next_is_word || prev_is_word)
            && let Some(rule) = classify(&text[start..end])
        {
            hits.push(Hit {
                rule,
                from: start,
                to: end,
            });
        }
        i = end;
    }
    hits.extend(emails(&folded.text));
    hits.sort_by_key(|h| (h.from, h.rule));
    hits
}

/// What a whole digit run (maybe ending in x) is, if anything.
fn classify(run: &[u8]) -> Option<&'static str> {
    match run.len() {
        18 if is_id_card(run) => Some("id_card"),
        11 if run[0] == b'1' && (b'3'..=b'9').contains(&run[1]) => Some("mobile"),
        16..=19 if run.iter().all(u8::is_ascii_digit) && luhn(run) => Some("bank_card"),
        _ => None,
    }
}

/// GB 11643: 6-digit region, 8-digit birth date, 3-digit sequence, and an
/// ISO 7064 MOD 11-2 check character.
pub fn is_id_card(id: &[u8]) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10x98765432";
    if id.len() != 18 || !id[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = id[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    if id[17].to_ascii_lowercase() != CHECK[(sum % 11) as usize] {
        return false;
    }
    let number =
        |r: std::ops::Range<usize>| id[r].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let (year, month, day) = (number(6..10), number(10..12), number(12..14));
    // Only people born since 1900 hold one; no clock here, so the future
    // is bounded loosely.
    (1900..=2100).contains(&year) && NaiveDate::from_ymd_opt(year as i32, month, day).is_some()
}

/// The Luhn (mod 10) check of card numbers.
pub fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Addresses `local@domain.tld`: local part of letters, digits and
/// `._%+-`; a domain of dot-separated labels ending in a letters-only TLD.
fn emails(text: &str) -> Vec<Hit> {
    let b = text.as_bytes();
    let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-".contains(&c);
    let label = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
    let mut hits = Vec::new();
    let mut after = 0;
    for (at, _) in text.match_indices('@') {
        let mut from = at;
        while from > after && local(b[from - 1]) {
            from -= 1;
        }
        while from < at && !b[from].is_ascii_alphanumeric() {
            from += 1;
        }
        let mut to = at + 1;
        while to < b.len()
            && (label(b[to]) || (b[to] == b'.' && to + 1 < b.len() && label(b[to + 1])))
        {
            to += 1;
        }
        let domain = &text[at + 1..to];
        let tld = domain.rsplit('.').next().unwrap_or("");
        if from < at
            && domain.contains('.')
            && tld.len() >= 2
            && tld.bytes().all(|c| c.is_ascii_alphabetic())
        {
            hits.push(Hit {
                rule: "email",
                from,
                to,
            });
            after = to;
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<(&'static str, String)> {
        let f = Folded::new(text, false);
        detect(&f)
            .into_iter()
            .map(|h| (h.rule, f.text[h.from..h.to].to_string()))
            .collect()
    }

    #[test]
    fn id_cards_need_the_check_character_and_a_real_birth_date() {
        assert!(is_id_card(b"11010519491231002x"));
        assert!(is_id_card(b"11010519491231002X"));
        assert!(is_id_card(b"440524199003071236"));
        assert!(!is_id_card(b"110105194912310021"), "wrong check character");
        assert!(
            !is_id_card(b"110105194913310021"),
            "month 13 (check character right)"
        );
        assert!(!is_id_card(b"110105189901010017"), "born before 1900");
        assert_eq!(
            rules("身份证11010519491231002X。"),
            vec![("id_card", "11010519491231002x".into())]
        );
    }

    #[test]
    fn mobiles_are_eleven_digits_from_13_to_19() {
        assert_eq!(
            rules("电话13800138000"),
            vec![("mobile", "13800138000".into())]
        );
        assert_eq!(
            rules("电话１９９１２３４５６７８"),
            vec![("mobile", "19912345678".into())]
        );
        assert!(rules("12800138000").is_empty(), "12 is no mobile prefix");
        assert!(rules("1380013800").is_empty(), "ten digits");
        assert!(rules("138001380001").is_empty(), "a longer run is no match");
        assert!(rules("a13800138000").is_empty(), "part of a word");
    }

    #[test]
    fn bank_cards_pass_luhn() {
        assert_eq!(
            rules("卡号4111111111111111"),
            vec![("bank_card", "4111111111111111".into())]
        );
        assert_eq!(
            rules("6212260200000000006 "),
            vec![("bank_card", "6212260200000000006".into())]
        );
        assert!(rules("4111111111111112").is_empty(), "Luhn fails");
        assert!(rules("41111111111111110000").is_empty(), "twenty digits");
    }

    #[test]
    fn emails_are_found_whole() {
        assert_eq!(
            rules("请联系 Zhang.San+news@mail.example.gov.cn。"),
            vec![("email", "zhang.san+news@mail.example.gov.cn".into())]
        );
        assert_eq!(
            rules("写信给ｌｉ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
            vec![("email", "li@example.com".into())]
        );
        assert!(rules("a@b").is_empty());
        assert!(rules("@example.com").is_empty());
        assert!(rules("x@example.c0m").is_empty());
    }
}
