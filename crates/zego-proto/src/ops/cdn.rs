//! CDN stream forbids: `ForbidCDNLiveStream`, `ResumeCDNLiveStream`,
//! `QueryForbidCDNLiveStream`.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::checks;
use crate::encode::ParamWriter;
use crate::error::{Problem, ValidationError};
use crate::lenient::string_lenient;
use crate::operation::TypedOperation;
use crate::response::{data_or_default, DataError};

/// One CDN's answer to a forbid or resume.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CdnForbidResult {
    /// The CDN vendor.
    #[serde(rename = "CdnType", default, deserialize_with = "string_lenient")]
    pub cdn_type: String,
    /// The vendor's result, verbatim.
    #[serde(rename = "CdnResult", default, deserialize_with = "string_lenient")]
    pub cdn_result: String,
}

/// `ForbidCDNLiveStream`: stop a stream on the CDN, optionally until a UTC time
/// (`ResumeTime`, honoured by WangSu only).
///
/// ```
/// use zego_proto::ops::ForbidCdnLiveStream;
/// let op = ForbidCdnLiveStream::new("live1")?.resume_at("2018-11-29T19:00:00Z")?;
/// assert!(ForbidCdnLiveStream::new("live1")?.resume_at("2018-11-29 19:00").is_err());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForbidCdnLiveStream {
    stream_id: String,
    resume_time: Option<String>,
}

impl ForbidCdnLiveStream {
    /// Forbids `stream_id` on the CDN until resumed.
    pub fn new(stream_id: impl Into<String>) -> Result<Self, ValidationError> {
        Ok(Self {
            stream_id: checks::stream_id("StreamId", None, stream_id.into())?,
            resume_time: None,
        })
    }

    /// Resumes automatically at `utc`, written `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn resume_at(mut self, utc: impl Into<String>) -> Result<Self, ValidationError> {
        let utc = utc.into();
        if !is_utc_timestamp(&utc) {
            return Err(ValidationError::new(
                "ResumeTime",
                Problem::Invalid {
                    expected: "a UTC time written YYYY-MM-DDTHH:MM:SSZ",
                },
            ));
        }
        self.resume_time = Some(utc);
        Ok(self)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` with plausible field ranges.
fn is_utc_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        })
    };
    let shape = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z';
    let fields = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    );
    match fields {
        (Some(_), Some(mo), Some(d), Some(h), Some(mi), Some(s)) => {
            shape && (1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && s < 61
        }
        _ => false,
    }
}

impl TypedOperation for ForbidCdnLiveStream {
    type Output = Vec<CdnForbidResult>;

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        w.stream_id("StreamId", None, &self.stream_id)?;
        if let Some(t) = &self.resume_time {
            w.param("ResumeTime", t);
        }
        Ok(())
    }

    fn parse_data(&self, data: Option<&RawValue>) -> Result<Self::Output, DataError> {
        data_or_default(Self::ACTION, data)
    }
}

/// `ResumeCDNLiveStream`: let a stream play on the CDN again.
///
/// ```
/// let op = zego_proto::ops::ResumeCdnLiveStream::new("live1")?;
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeCdnLiveStream {
    stream_id: String,
}

impl ResumeCdnLiveStream {
    /// Resumes `stream_id` on the CDN.
    pub fn new(stream_id: impl Into<String>) -> Result<Self, ValidationError> {
        Ok(Self {
            stream_id: checks::stream_id("StreamId", None, stream_id.into())?,
        })
    }
}

impl TypedOperation for ResumeCdnLiveStream {
    type Output = Vec<CdnForbidResult>;

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        w.stream_id("StreamId", None, &self.stream_id)
    }

    fn parse_data(&self, data: Option<&RawValue>) -> Result<Self::Output, DataError> {
        data_or_default(Self::ACTION, data)
    }
}

/// A CDN vendor whose forbid list can be queried.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CdnVendor {
    /// WangSu (`ws`), the only vendor ZEGO documents.
    #[default]
    WangSu,
}

impl CdnVendor {
    /// The `Vendor` parameter value.
    pub fn code(self) -> &'static str {
        match self {
            Self::WangSu => "ws",
        }
    }
}

/// `QueryForbidCDNLiveStream`: list the streams forbidden on a vendor's CDN.
///
/// ```
/// use zego_proto::ops::{CdnVendor, QueryForbidCdnLiveStream};
/// let op = QueryForbidCdnLiveStream::new(CdnVendor::WangSu);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryForbidCdnLiveStream {
    vendor: CdnVendor,
}

impl QueryForbidCdnLiveStream {
    /// Queries `vendor`.
    pub fn new(vendor: CdnVendor) -> Self {
        Self { vendor }
    }
}

/// `QueryForbidCDNLiveStream`'s `Data`: `{Ws: {ResultDetail: [...]}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CdnForbidList {
    /// WangSu's list.
    #[serde(rename = "Ws", default)]
    pub ws: WangSuForbidList,
}

/// WangSu's forbidden streams.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct WangSuForbidList {
    /// One entry per forbidden stream.
    #[serde(rename = "ResultDetail", default)]
    pub result_detail: Vec<WangSuForbidDetail>,
}

/// One stream forbidden on WangSu's CDN.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct WangSuForbidDetail {
    /// The channel.
    #[serde(rename = "Channel", default, deserialize_with = "string_lenient")]
    pub channel: String,
    /// The stream URL.
    #[serde(rename = "Url", default, deserialize_with = "string_lenient")]
    pub url: String,
    /// When the forbid started, verbatim.
    #[serde(rename = "StartTime", default, deserialize_with = "string_lenient")]
    pub start_time: String,
    /// When it ends, verbatim.
    #[serde(rename = "EndTime", default, deserialize_with = "string_lenient")]
    pub end_time: String,
}

impl TypedOperation for QueryForbidCdnLiveStream {
    type Output = CdnForbidList;

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        w.param("Vendor", self.vendor.code());
        Ok(())
    }

    fn parse_data(&self, data: Option<&RawValue>) -> Result<Self::Output, DataError> {
        data_or_default(Self::ACTION, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_timestamps() {
        assert!(is_utc_timestamp("2018-11-29T19:00:00Z"));
        for bad in [
            "2018-11-29T19:00:00",
            "2018-13-29T19:00:00Z",
            "2018-11-29T24:00:00Z",
            "2018-11-29 19:00:00Z",
            "２018-11-29T19:00:00Z",
            "",
        ] {
            assert!(!is_utc_timestamp(bad), "{bad}");
        }
    }
}
