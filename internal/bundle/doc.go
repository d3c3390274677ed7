// Package bundle stores data bundles: named, versioned, content-addressed
// trees of files, uploaded once as a tar archive and mounted into any
// number of tasks.
//
// # Layout
//
// A Store keeps its files under one directory (DataDir/bundles):
//
//	blobs/ab/<sha256>   each distinct file content once, read-only (0444)
//	trees/<sha256>/...  each distinct tree once: directories, symbolic
//	                    links, and hard links to the blobs
//	tmp/                imports in progress
//
// A tree is named by its digest, the SHA-256 of its normalised manifest
// (Manifest.Digest): the same files under the same paths give the same
// digest whatever the archive's order, owners, times, modes or implicit
// directories. A ro mount preopens a tree's directory read-only, so
// mounting costs no copy; files equal between versions, or between
// bundles, share one blob.
//
// The Index (internal/store's bbolt database) holds names, versions and
// manifests; it is the source of truth. An import writes every blob to a
// temporary name, syncs it and renames it into place, builds the tree
// under tmp/, syncs it and renames it into trees/, and only then commits
// the version to the index. A crash at any point leaves at worst files
// that no version names; Open collects them (Collect), as does every
// Delete. Nothing a version names is ever half-written.
//
// A Store is safe for concurrent use.
package bundle
