"""The application's assets (icon, .desktop file). Installed as the ``inr_studio.resources``
package (see setup.py); ``inr_studio.ui.resources`` finds them in a checkout or an install."""
