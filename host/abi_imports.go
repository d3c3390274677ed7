package host

import (
	"context"
	"fmt"

	"github.com/nexustask/nexus/abi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// nexusFunc is one nexus_v1 import as the host provides it.
type nexusFunc struct {
	name    string
	fn      api.GoModuleFunc
	params  []api.ValueType
	results []api.ValueType
}

// nexusFuncs lists the nexus_v1 imports this host implements; the
// implementations live in one file per area (abi_io.go, abi_log.go,
// abi_progress.go, abi_checkpoint.go, abi_kv.go, abi_config.go and, for
// fuel_remaining, metering.go).
var nexusFuncs = []nexusFunc{
	{abi.ImportInputLen, inputLen, nil, []api.ValueType{i32}},
	{abi.ImportInputRead, inputRead, []api.ValueType{i32, i32}, []api.ValueType{i32}},
	{abi.ImportOutputWrite, outputWrite, []api.ValueType{i32, i32}, []api.ValueType{i32}},
	{abi.ImportErrorSet, errorSet, []api.ValueType{i32, i32}, nil},
	{abi.ImportLog, logLine, []api.ValueType{i32, i32, i32}, nil},
	{abi.ImportProgress, progress, []api.ValueType{i64, i64}, nil},
	{abi.ImportCheckpointSave, checkpointSave, []api.ValueType{i32, i32}, []api.ValueType{i32}},
	{abi.ImportCheckpointLoad, checkpointLoad, []api.ValueType{i32, i32}, []api.ValueType{i32}},
	{abi.ImportKVGet, kvGet, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}},
	{abi.ImportKVSet, kvSet, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}},
	{abi.ImportKVDelete, kvDelete, []api.ValueType{i32, i32}, []api.ValueType{i32}},
	{abi.ImportConfigGet, configGet, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}},
	{abi.ImportFuelRemaining, fuelRemaining, nil, []api.ValueType{i64}},
	{abi.ImportTaskSpawn, taskSpawn, []api.ValueType{i32, i32, i32, i32, i32, i32}, []api.ValueType{i32}},
	{abi.ImportTaskAwait, taskAwait, []api.ValueType{i32, i32, i32}, []api.ValueType{i32}},
	{abi.ImportTaskAwaitAny, taskAwaitAny, []api.ValueType{i32, i32}, []api.ValueType{i32}},
}

// nexusProvided is the set of nexus_v1 names in nexusFuncs.
var nexusProvided = func() map[string]bool {
	m := make(map[string]bool, len(nexusFuncs))
	for _, f := range nexusFuncs {
		m[f.name] = true
	}
	return m
}()

func instantiateNexus(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder(abi.ModuleNexus)
	for _, f := range nexusFuncs {
		b.NewFunctionBuilder().WithGoModuleFunction(contain(f.name, snapshotGuard(f.name, f.fn)), f.params, f.results).Export(f.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

func outOfRange(fn string, ptr, n, size uint32) string {
	return fmt.Sprintf("%s.%s: memory range [%d, %d) is outside linear memory of %d bytes",
		abi.ModuleNexus, fn, ptr, uint64(ptr)+uint64(n), size)
}
