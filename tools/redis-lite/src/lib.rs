//! A minimal blocking RESP2 client: enough for the demo and the Rust integration tests to
//! run `GET`, `SET … EX`, `DEL` and `PING` against a real Redis. It is deliberately small;
//! cachekit's SDKs use their ecosystem's client (ioredis, phpredis, hiredis).

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A RESP2 reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`
    Status(String),
    /// `-ERR …`
    Error(String),
    /// `:n`
    Int(i64),
    /// `$n` bulk string; `None` for the nil bulk `$-1`.
    Bulk(Option<Vec<u8>>),
    /// `*n` array; `None` for the nil array.
    Array(Option<Vec<Reply>>),
}

/// One connection.
pub struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl Client {
    /// Connects to `redis://host:port[/db]` or `host:port`, with 2 s timeouts.
    pub fn connect(url: &str) -> io::Result<Client> {
        let rest = url.strip_prefix("redis://").unwrap_or(url);
        let addr = rest.split('/').next().unwrap_or(rest);
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.set_write_timeout(Some(Duration::from_secs(2)))?;
        Ok(Client { reader: BufReader::new(stream.try_clone()?), writer: stream })
    }

    /// Sends one command and reads its reply.
    pub fn call(&mut self, args: &[&[u8]]) -> io::Result<Reply> {
        let mut buf = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            buf.extend_from_slice(a);
            buf.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&buf)?;
        self.read_reply()
    }

    fn line(&mut self) -> io::Result<String> {
        let mut l = String::new();
        self.reader.read_line(&mut l)?;
        l.strip_suffix("\r\n").map(str::to_owned).ok_or_else(|| bad("reply line without CRLF"))
    }

    fn read_reply(&mut self) -> io::Result<Reply> {
        let l = self.line()?;
        let (tag, rest) = l.split_at(1.min(l.len()));
        let n = || rest.parse::<i64>().map_err(|_| bad(format!("bad length {rest:?}")));
        Ok(match tag {
            "+" => Reply::Status(rest.to_owned()),
            "-" => Reply::Error(rest.to_owned()),
            ":" => Reply::Int(n()?),
            "$" if n()? < 0 => Reply::Bulk(None),
            "$" => {
                let mut data = vec![0u8; n()? as usize + 2];
                io::Read::read_exact(&mut self.reader, &mut data)?;
                data.truncate(data.len() - 2);
                Reply::Bulk(Some(data))
            }
            "*" if n()? < 0 => Reply::Array(None),
            "*" => Reply::Array(Some((0..n()?).map(|_| self.read_reply()).collect::<io::Result<_>>()?)),
            _ => return Err(bad(format!("unknown reply type {l:?}"))),
        })
    }

    /// `GET key`: the bytes, or `None` when the key does not exist.
    pub fn get(&mut self, key: &str) -> io::Result<Option<Vec<u8>>> {
        match self.call(&[b"GET", key.as_bytes()])? {
            Reply::Bulk(v) => Ok(v),
            other => Err(bad(format!("GET: unexpected {other:?}"))),
        }
    }

    /// `SET key value EX ttl`.
    pub fn set_ex(&mut self, key: &str, value: &[u8], ttl_secs: u64) -> io::Result<()> {
        match self.call(&[b"SET", key.as_bytes(), value, b"EX", ttl_secs.to_string().as_bytes()])? {
            Reply::Status(s) if s == "OK" => Ok(()),
            other => Err(bad(format!("SET: unexpected {other:?}"))),
        }
    }

    /// `DEL key`: how many keys were removed.
    pub fn del(&mut self, key: &str) -> io::Result<i64> {
        match self.call(&[b"DEL", key.as_bytes()])? {
            Reply::Int(n) => Ok(n),
            other => Err(bad(format!("DEL: unexpected {other:?}"))),
        }
    }
}
