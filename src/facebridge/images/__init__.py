"""Images: decode files to RGB uint8 with a status for bad files, list image folders, name images by id."""

from facebridge.images.decode import STATUSES, DecodedImage, load_image
from facebridge.images.listing import IMAGE_SUFFIXES, image_file, image_id, list_images
from facebridge.images.rgb import check_rgb

__all__ = [
    "IMAGE_SUFFIXES",
    "STATUSES",
    "DecodedImage",
    "check_rgb",
    "image_file",
    "image_id",
    "list_images",
    "load_image",
]
