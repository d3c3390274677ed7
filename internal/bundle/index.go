package bundle

// Index is where a Store keeps its names, versions and manifests: the
// source of truth of what is stored. internal/store's DB implements it
// over bbolt. Methods are safe for concurrent use.
type Index interface {
	// AddBundleVersion adds a version of v.Name holding the tree v.Digest,
	// whose manifest (Manifest.Encode) is manifest, unless a version of
	// the name holds that digest already. It numbers the new version one
	// past the name's last and returns it, or returns the existing one
	// and false.
	AddBundleVersion(v Version, manifest []byte) (Version, bool, error)
	// BundleVersions returns a name's versions, oldest first, or an error
	// wrapping ErrNotFound.
	BundleVersions(name string) ([]Version, error)
	// Bundles returns every version of every bundle, by name then
	// version.
	Bundles() ([]Version, error)
	// DeleteBundle removes a name and its versions, and the manifests no
	// other version uses; an error wrapping ErrNotFound if it has none.
	DeleteBundle(name string) error
	// BundleManifest returns the manifest of a tree digest some version
	// holds, or an error wrapping ErrNotFound.
	BundleManifest(digest string) ([]byte, error)
	// BundleDigests returns the tree digests that versions hold.
	BundleDigests() ([]string, error)
}
