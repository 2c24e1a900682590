// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Testing;

namespace FrancisBeacon.Tests.Storage;

/// <summary>The reference store passes its own kit: this is what "the kit runs against it first" means.</summary>
public sealed class InMemoryHitStoreConformanceTests(InMemoryHitStoreFixture fixture)
    : HitStoreConformanceTests<InMemoryHitStoreFixture>(fixture);
