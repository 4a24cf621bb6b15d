"""Photos: images stored in the shop's own storage and served from its own origin (`/media/<key>`).

`images` decodes and resizes with Pillow (only real images pass); `storage` is the one interface to where the
files live (`LocalStorage` under MEDIA_ROOT; S3-compatible storage can follow); `services` stores an upload or
a downloaded URL once (keyed by content hash, and a URL already fetched is not fetched again) and says which
photos a product has; `views` serves the files with long cache headers.
"""
