// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Buffers.Binary;
using System.IO.Compression;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// A gzip request body, decompressed and checked against its trailer: .NET's <see cref="GZipStream"/> ends silently
/// when its input ends early (the CRC-32 and length that close a gzip file are never compared), so a body cut in the
/// middle of its last line, or just before its trailer, would read as complete. At the end of the decompressed data
/// this stream compares the CRC-32 and the length (mod 2^32) of everything it gave out with the last eight bytes of
/// the body and throws <see cref="InvalidDataException"/> when they differ, before the reader sees the end. A body
/// of several gzip files joined together, or with bytes after its gzip file, fails the same check and is refused.
/// </summary>
internal sealed class GzipBodyStream : Stream
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    private readonly TailStream _raw;
    private readonly GZipStream _gzip;
    private uint _crc = 0xFFFFFFFFu;
    private long _length;
    private bool _checked;

    public GzipBodyStream(Stream compressed)
    {
        _raw = new TailStream(compressed);
        _gzip = new GZipStream(_raw, CompressionMode.Decompress, leaveOpen: true);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _gzip.ReadAsync(buffer, cancellationToken);
        if (read > 0 || buffer.Length == 0)
        {
            Add(buffer.Span[..read]);
            return read;
        }

        if (!_checked)
        {
            // GZipStream reads on to look for another member; drain whatever it left, so that the tail is the body's.
            var rest = new byte[512];
            while (await _raw.ReadAsync(rest, cancellationToken) > 0)
            {
            }

            Check();
        }

        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gzip.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _gzip.DisposeAsync();
        await base.DisposeAsync();
    }

    private void Add(ReadOnlySpan<byte> data)
    {
        var crc = _crc;
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        _crc = crc;
        _length += data.Length;
    }

    private void Check()
    {
        _checked = true;
        var trailer = _raw.Tail;
        if (trailer.Length < 8 ||
            BinaryPrimitives.ReadUInt32LittleEndian(trailer) != ~_crc ||
            BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]) != unchecked((uint)_length))
        {
            throw new InvalidDataException(
                "the body ends before its gzip trailer, or is not one gzip file: the CRC-32 and length at its end do not match what it decompressed to; send one complete gzip file");
        }
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }

    /// <summary>A read-through view of a stream that keeps the last eight bytes read.</summary>
    private sealed class TailStream(Stream inner) : Stream
    {
        private readonly byte[] _tail = new byte[8];
        private int _tailLength;

        /// <summary>The last (up to) eight bytes read.</summary>
        public ReadOnlySpan<byte> Tail => _tail.AsSpan(0, _tailLength);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            Keep(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            Keep(buffer.AsSpan(offset, read));
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private void Keep(ReadOnlySpan<byte> data)
        {
            if (data.Length >= 8)
            {
                data[^8..].CopyTo(_tail);
                _tailLength = 8;
                return;
            }

            var keep = Math.Min(_tailLength, 8 - data.Length);
            _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
            data.CopyTo(_tail.AsSpan(keep));
            _tailLength = keep + data.Length;
        }
    }
}
