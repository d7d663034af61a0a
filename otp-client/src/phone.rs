//! Phone numbers, parsed with libphonenumber's metadata (the `phonenumber` crate) into E.164:
//! one number has one spelling, whatever was typed (`8 999…`, `+7 (999)…`, `00 7…`, `810 7…`,
//! fullwidth or Arabic-Indic digits, an extension), and what is not a valid number is refused
//! before anything is sent. Every per-number limit keys on it.

use std::fmt;
use std::str::FromStr;

use crate::mask::MaskedPhone;

/// A valid phone number, in E.164 (`+79991234563`). Its `Display` and `Debug` mask it
/// (`+7999***4563`); [`as_e164`](Self::as_e164) gives it whole.
///
/// ```
/// use otp_client::Phone;
/// let typed = ["+7 (999) 123-45-63", "8 999 123 45 63", "810 7 999 123 45 63", "+7 999 123 45 63 ext. 12"];
/// for text in typed {
///     assert_eq!(Phone::parse_in(text, "RU")?.as_e164(), "+79991234563", "{text}");
/// }
/// assert!(Phone::parse("+7 000").is_err());
/// # Ok::<(), otp_client::InvalidPhone>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    e164: String,
    country_code: u16,
    region: Option<phonenumber::country::Id>,
    kind: NumberType,
}

/// What kind of line a number is, as libphonenumber's metadata says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NumberType {
    /// A mobile number.
    Mobile,
    /// A landline.
    FixedLine,
    /// Mobile or landline: the numbering plan does not tell them apart (the USA's).
    FixedLineOrMobile,
    /// Free to call.
    TollFree,
    /// Premium rate: the caller pays the callee's price.
    PremiumRate,
    /// The cost is shared between caller and callee.
    SharedCost,
    /// A personal number, routed to a mobile or a landline.
    PersonalNumber,
    /// Voice over IP.
    Voip,
    /// A pager.
    Pager,
    /// A company's universal access number.
    Uan,
    /// Voicemail access.
    Voicemail,
    /// Any other (a short code, an emergency number…), or none the metadata names.
    Other,
}

impl NumberType {
    fn of(number: &phonenumber::PhoneNumber) -> Self {
        use phonenumber::Type;
        match number.number_type(&phonenumber::metadata::DATABASE) {
            Type::Mobile => Self::Mobile,
            Type::FixedLine => Self::FixedLine,
            Type::FixedLineOrMobile => Self::FixedLineOrMobile,
            Type::TollFree => Self::TollFree,
            Type::PremiumRate => Self::PremiumRate,
            Type::SharedCost => Self::SharedCost,
            Type::PersonalNumber => Self::PersonalNumber,
            Type::Voip => Self::Voip,
            Type::Pager => Self::Pager,
            Type::Uan => Self::Uan,
            Type::Voicemail => Self::Voicemail,
            _ => Self::Other,
        }
    }
}

/// Why a text is not a [`Phone`]. Its text never repeats the number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidPhone {
    /// It does not read as a phone number at all (or names no country: give a region).
    #[error("not a phone number")]
    Unreadable,
    /// It reads as one, and no country's numbering plan has it.
    #[error("not a valid phone number")]
    NotValid,
    /// The region given is not an ISO 3166-1 alpha-2 code libphonenumber knows.
    #[error("`{0}` is not a region code (ISO 3166-1 alpha-2, e.g. RU)")]
    UnknownRegion(String),
}

impl Phone {
    /// Parses a number written in international form (`+7 999 …`, `00 7 …` is not: give
    /// a region with [`parse_in`](Self::parse_in) for national forms and dialling prefixes).
    pub fn parse(text: &str) -> Result<Self, InvalidPhone> {
        Self::parse_region(text, None)
    }

    /// Parses a number as a person in `region` (ISO 3166-1 alpha-2, e.g. `RU`) writes it:
    /// national forms (`8 999 …`) and the region's international dialling prefix (`810 …`)
    /// included.
    pub fn parse_in(text: &str, region: &str) -> Result<Self, InvalidPhone> {
        let id = phonenumber::country::Id::from_str(&region.to_ascii_uppercase())
            .map_err(|_| InvalidPhone::UnknownRegion(region.chars().take(8).collect()))?;
        Self::parse_region(text, Some(id))
    }

    fn parse_region(
        text: &str,
        region: Option<phonenumber::country::Id>,
    ) -> Result<Self, InvalidPhone> {
        // libphonenumber reads what people type, within reason: nothing longer.
        if text.len() > 256 {
            return Err(InvalidPhone::Unreadable);
        }
        let text = ascii_digits(text);
        let number = phonenumber::parse(region, &text).map_err(|_| InvalidPhone::Unreadable)?;
        let number = if phonenumber::is_valid(&number) {
            number
        } else {
            unstripped(&text, &number).ok_or(InvalidPhone::NotValid)?
        };
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        let country_code = number.code().value();
        Ok(Self {
            e164,
            country_code,
            // The crate finds no region for a valid number whose national number begins
            // with 0 (Italy's `+39 06 …`): the main country of its code is.
            region: number.country().id().or_else(|| main_region(country_code)),
            kind: NumberType::of(&number),
        })
    }

    /// What kind of line it is (mobile, landline, toll-free, premium-rate…).
    pub fn number_type(&self) -> NumberType {
        self.kind
    }

    /// The number in E.164, as the service takes it.
    pub fn as_e164(&self) -> &str {
        &self.e164
    }

    /// The country calling code (`7`).
    pub fn country_code(&self) -> u16 {
        self.country_code
    }

    /// The region (ISO 3166-1 alpha-2, e.g. `RU`), when the number's country has one.
    pub fn region(&self) -> Option<&str> {
        self.region.as_ref().map(|id| id.as_ref())
    }

    /// The first `digits` digits after the `+`: the number's range, for limits per range.
    pub fn prefix(&self, digits: usize) -> &str {
        let end = (1 + digits).min(self.e164.len());
        &self.e164[..end]
    }
}

/// The number `text` means, where the `phonenumber` crate read another: it strips the
/// national prefix from a national significant number that begins with it, after a country
/// code too (`+7 861 …`, a Krasnodar landline, read as `+7 61 …`; `+7 800 …` toll-free; and
/// in national form the prefix twice, `8 861 …`), where libphonenumber keeps a number that
/// was viable as it stood. The number as written is read again with the national prefix
/// before it (once, then twice: the crate strips it as often), and taken when it is valid
/// and is exactly the digits that were written.
fn unstripped(text: &str, parsed: &phonenumber::PhoneNumber) -> Option<phonenumber::PhoneNumber> {
    let code = parsed.code().value();
    let metadata = phonenumber::metadata::DATABASE.by_code(&code)?;
    let prefix = metadata.first()?.national_prefix()?;
    // The digits written, up to an extension.
    let digits: String = text
        .chars()
        .take_while(|c| !c.is_ascii_alphabetic() && !matches!(c, '#' | ';' | ','))
        .filter(char::is_ascii_digit)
        .collect();
    let national = if text.trim_start().starts_with('+') {
        digits.strip_prefix(&code.to_string())?
    } else {
        digits.strip_prefix(prefix)?
    };
    let wanted = format!("+{code}{national}");
    // The crate strips the prefix once or twice (its parsing rule, then the prefix itself).
    (1..=2).find_map(|times| {
        let number =
            phonenumber::parse(None, format!("+{code}{}{national}", prefix.repeat(times))).ok()?;
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        (phonenumber::is_valid(&number) && e164 == wanted).then_some(number)
    })
}

/// The main region of calling code `code` (`IT` for 39), if it is a country's.
fn main_region(code: u16) -> Option<phonenumber::country::Id> {
    let metadata = phonenumber::metadata::DATABASE.by_code(&code)?;
    let main = metadata.iter().find(|m| m.is_main_country_for_code())?;
    phonenumber::country::Id::from_str(main.id()).ok()
}

/// The zeros of Unicode's decimal digit blocks a phone number may be typed in (Arabic-Indic,
/// Persian, NKo, the Indic scripts, Thai, Lao, Tibetan, Myanmar, Khmer, Mongolian, fullwidth).
const DIGIT_ZEROS: &[u32] = &[
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0xFF10,
];

/// `text` with every decimal digit as its ASCII digit, and a fullwidth `＋` as `+`: one
/// number, whatever digits it was typed in (libphonenumber's Rust port reads ASCII only).
fn ascii_digits(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '\u{FF0B}' {
                return '+';
            }
            let code = c as u32;
            DIGIT_ZEROS
                .iter()
                .find(|&&zero| (zero..zero + 10).contains(&code))
                .and_then(|zero| char::from_digit(code - zero, 10))
                .unwrap_or(c)
        })
        .collect()
}

impl FromStr for Phone {
    type Err = InvalidPhone;

    /// [`Phone::parse`]: international form.
    fn from_str(text: &str) -> Result<Self, InvalidPhone> {
        Self::parse(text)
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> String {
        phone.e164
    }
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.e164
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        MaskedPhone(&self.e164).fmt(f)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Phone")
            .field(&format_args!("{}", MaskedPhone(&self.e164)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_number_has_one_spelling() {
        for text in [
            "+79991234563",
            "+7 999 123-45-63",
            "8 (999) 123-45-63",
            "8-999-123-45-63",
            "810 7 999 123 45 63",
            "+7 999 123 45 63 ext. 7",
            "＋７９９９１２３４５６３",
            "+٧٩٩٩١٢٣٤٥٦٣",
        ] {
            let phone = Phone::parse_in(text, "RU").unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(phone.as_e164(), "+79991234563", "{text}");
            assert_eq!(
                (phone.country_code(), phone.region()),
                (7, Some("RU")),
                "{text}"
            );
        }
        // `00` is the international prefix where it is (Germany), not in Russia (810).
        let phone = Phone::parse_in("00 7 999 123 45 63", "DE").unwrap();
        assert_eq!(phone.as_e164(), "+79991234563");
        assert!(Phone::parse_in("00 7 999 123 45 63", "RU").is_err());
    }

    #[test]
    fn what_is_not_a_number_is_refused_without_echoing_it() {
        for text in [
            "",
            "+",
            "+0079991234563",
            "hello",
            "+7 000 000 00 00",
            "+999 1234",
            "1234",
        ] {
            let err = Phone::parse_in(text, "RU").expect_err(text);
            if !text.is_empty() {
                assert!(!err.to_string().contains(text), "{err}");
            }
        }
        assert!(matches!(
            Phone::parse_in("+79991234563", "XX"),
            Err(InvalidPhone::UnknownRegion(_))
        ));
    }

    /// The numbers the `phonenumber` crate reads wrong (it strips the `8` of `+7 8xx`),
    /// read as libphonenumber reads them, each with its type.
    #[test]
    fn russian_8xx_numbers_are_valid_with_their_type() {
        for (text, e164, kind) in [
            ("+7 861 234 56 78", "+78612345678", NumberType::FixedLine),
            ("8 861 234 56 78", "+78612345678", NumberType::FixedLine),
            ("+7 846 123 45 67", "+78461234567", NumberType::FixedLine),
            ("+7 800 555 35 35", "+78005553535", NumberType::TollFree),
            ("+7 809 123 45 67", "+78091234567", NumberType::PremiumRate),
            ("+7 999 123 45 63", "+79991234563", NumberType::Mobile),
        ] {
            let phone = Phone::parse_in(text, "RU").unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (phone.as_e164(), phone.region(), phone.number_type()),
                (e164, Some("RU"), kind),
                "{text}"
            );
        }
    }

    /// Every example number of every region and type in the metadata the crate bundles
    /// parses as valid, with its region (a region of several that share a calling code may
    /// read as another of them only where the example's digits are that one's too).
    #[test]
    fn every_example_number_of_the_metadata_is_valid_in_its_region() {
        let mut failures = Vec::new();
        let mut checked = 0;
        for metadata in phonenumber::metadata::DATABASE.iter() {
            let d = metadata.descriptors();
            let examples = [
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.personal_number(),
                d.voip(),
                d.pager(),
                d.uan(),
                d.voicemail(),
            ];
            for example in examples.into_iter().flatten().filter_map(|e| e.example()) {
                checked += 1;
                let text = format!("+{}{example}", metadata.country_code());
                match Phone::parse(&text) {
                    Ok(phone) => {
                        let id = metadata.id();
                        let same = phone.region() == Some(id)
                            || (id == "001" && phone.region().is_none())
                            || phonenumber::metadata::DATABASE
                                .region(&metadata.country_code())
                                .is_some_and(|r| {
                                    r.len() > 1 && r.contains(&phone.region().unwrap_or(""))
                                });
                        if !same {
                            failures.push(format!("{text}: region {:?}, not {id}", phone.region()));
                        }
                    }
                    Err(e) => failures.push(format!("{text} ({}): {e}", metadata.id())),
                }
            }
        }
        assert!(checked > 1000, "only {checked} examples");
        assert!(
            failures.is_empty(),
            "{} of {checked}: {failures:#?}",
            failures.len()
        );
    }

    #[test]
    fn it_shows_masked_and_gives_its_prefix() {
        let phone = Phone::parse("+79991234563").unwrap();
        assert_eq!(phone.to_string(), "+7999***4563");
        assert_eq!(format!("{phone:?}"), "Phone(+7999***4563)");
        assert_eq!(phone.prefix(4), "+7999");
        assert_eq!(phone.prefix(99), "+79991234563");
    }
}
