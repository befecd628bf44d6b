//! IP network functions, written by hand over `u128` addresses so that IPv4 and IPv6 share
//! one implementation.

use std::net::{Ipv4Addr, Ipv6Addr};

use trellis_types::Value;

use super::{arg_int, arg_str, FnCtx, FnResult, FuncError};

/// A parsed CIDR prefix: the network address (host bits cleared), the prefix length and the
/// address width (32 or 128).
struct Prefix {
    base: u128,
    len: u32,
    bits: u32,
}

impl Prefix {
    fn parse(text: &str, arg: usize) -> Result<Prefix, FuncError> {
        let invalid = || FuncError::arg(arg, format!("invalid CIDR prefix \"{text}\""));
        let (addr, len) = text.split_once('/').ok_or_else(invalid)?;
        let len: u32 = len.parse().map_err(|_| invalid())?;
        let (addr, bits) = if let Ok(v4) = addr.parse::<Ipv4Addr>() {
            (u128::from(u32::from(v4)), 32)
        } else if let Ok(v6) = addr.parse::<Ipv6Addr>() {
            (u128::from(v6), 128)
        } else {
            return Err(invalid());
        };
        if len > bits {
            return Err(invalid());
        }
        let host_bits = bits - len;
        let mask = if host_bits >= 128 {
            0
        } else {
            !((1u128 << host_bits) - 1)
        };
        Ok(Prefix {
            base: addr & mask,
            len,
            bits,
        })
    }

    fn host_bits(&self) -> u32 {
        self.bits - self.len
    }

    fn format_addr(&self, addr: u128) -> String {
        if self.bits == 32 {
            Ipv4Addr::from(addr as u32).to_string()
        } else {
            Ipv6Addr::from(addr).to_string()
        }
    }
}

/// 2^n, or `None` when it does not fit.
fn pow2(n: u32) -> Option<u128> {
    1u128.checked_shl(n).filter(|_| n < 128)
}

pub(super) fn cidrsubnet(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let prefix = Prefix::parse(&arg_str(args, 0)?, 0)?;
    let newbits = arg_int(args, 1)?;
    let netnum = arg_int(args, 2)?;
    if newbits < 0 {
        return Err(FuncError::arg(1, "newbits must not be negative"));
    }
    let new_len = prefix.len as i64 + newbits;
    if new_len > prefix.bits as i64 {
        return Err(FuncError::arg(
            1,
            format!(
                "insufficient address space to extend prefix of {} by {newbits}",
                prefix.len
            ),
        ));
    }
    let new_len = new_len as u32;
    let too_big = || {
        FuncError::arg(
            2,
            format!(
                "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
            ),
        )
    };
    if netnum < 0 || pow2(newbits as u32).is_some_and(|limit| netnum as u128 >= limit) {
        return Err(too_big());
    }
    let shift = prefix.bits - new_len;
    let offset = (netnum as u128)
        .checked_shl(shift)
        .filter(|_| shift < 128)
        .unwrap_or(0);
    Ok(Value::String(format!(
        "{}/{new_len}",
        prefix.format_addr(prefix.base | offset)
    )))
}

pub(super) fn cidrhost(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let prefix = Prefix::parse(&arg_str(args, 0)?, 0)?;
    let hostnum = arg_int(args, 1)?;
    let size = pow2(prefix.host_bits());
    let host: u128 = if hostnum >= 0 {
        let h = hostnum as u128;
        if size.is_some_and(|s| h >= s) {
            None
        } else {
            Some(h)
        }
    } else {
        let back = hostnum.unsigned_abs() as u128;
        match size {
            Some(s) if back <= s => Some(s - back),
            Some(_) => None,
            None => Some(u128::MAX - back + 1),
        }
    }
    .ok_or_else(|| {
        FuncError::arg(
            1,
            format!(
                "prefix of {} does not accommodate a host numbered {hostnum}",
                prefix.len
            ),
        )
    })?;
    Ok(Value::String(prefix.format_addr(prefix.base | host)))
}

pub(super) fn cidrnetmask(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let prefix = Prefix::parse(&arg_str(args, 0)?, 0)?;
    if prefix.bits != 32 {
        return Err(FuncError::arg(0, "cidrnetmask only supports IPv4 prefixes"));
    }
    let mask: u32 = if prefix.len == 0 {
        0
    } else {
        u32::MAX << (32 - prefix.len)
    };
    Ok(Value::String(Ipv4Addr::from(mask).to_string()))
}

/// `cidrsubnets(prefix, newbits...)`: consecutive subnets of the given sizes, each aligned to
/// its own size, as Terraform allocates them.
pub(super) fn cidrsubnets(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let prefix = Prefix::parse(&arg_str(args, 0)?, 0)?;
    let end = pow2(prefix.host_bits()).map(|s| prefix.base + s);
    let mut next = prefix.base;
    let mut out = Vec::new();
    for i in 1..args.len() {
        let newbits = arg_int(args, i)?;
        if newbits < 1 || prefix.len as i64 + newbits > prefix.bits as i64 {
            return Err(FuncError::arg(
                i,
                format!("cannot extend prefix of {} by {newbits}", prefix.len),
            ));
        }
        let new_len = prefix.len + newbits as u32;
        let Some(size) = pow2(prefix.bits - new_len) else {
            return Err(FuncError::arg(i, "subnet is too large"));
        };
        let start = next.div_ceil(size).checked_mul(size);
        let fits = start
            .and_then(|s| s.checked_add(size))
            .is_some_and(|stop| !matches!(end, Some(e) if stop > e));
        let (Some(start), true) = (start, fits) else {
            return Err(FuncError::arg(
                i,
                "not enough remaining address space for a subnet this size",
            ));
        };
        out.push(Value::String(format!(
            "{}/{new_len}",
            prefix.format_addr(start)
        )));
        next = start + size;
    }
    Ok(Value::List(out))
}
