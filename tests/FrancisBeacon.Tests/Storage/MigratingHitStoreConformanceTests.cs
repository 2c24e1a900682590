// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Testing;

namespace FrancisBeacon.Tests.Storage;

/// <summary>
/// Runs the kit against a store with a schema capability, so that the kit's migration tests and its
/// migrate-before-data plumbing are exercised in this repository too.
/// </summary>
public sealed class MigratingHitStoreConformanceTests(MigratingHitStoreFixture fixture)
    : HitStoreSchemaConformanceTests<MigratingHitStoreFixture>(fixture);
